import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ApnsProvider } from './apns-provider';
import { CREDENTIAL_ID_PATTERN, privateKeyProblem } from './key-checks';
import { APNS_BAD_DEVICE_TOKEN } from './apns-classification';
import type { DeliveryResult, Notification, PushProvider, SendOptions } from './provider';
import { defineProvider, type ApnsEnvironment } from './provider-module';
import { isObject, type OverrideRules } from './overrides';
import { apnsPayloadBytes, APNS_MAX_PAYLOAD_BYTES, buildApnsRequest } from './apns-payload';

/** APNs: token-based (.p8) credentials of an Apple team, per environment; apps name a topic and an environment. */
export const APNS_ENVIRONMENTS = ['production', 'sandbox'] as const satisfies readonly ApnsEnvironment[];
export const APP_ENVIRONMENTS = ['production', 'sandbox', 'auto'] as const;

const appleId = (what: string) => z.string().regex(/^[A-Z0-9]{10}$/, `must be the 10-character ${what} from Apple`);

const body = z.strictObject({
  provider_key: z.literal('apn'),
  team_id: appleId('team id'),
  key_id: appleId('key id'),
  key: z
    .string()
    .max(10_000)
    .superRefine((pem, ctx) => {
      const problem = privateKeyProblem(pem, 'p256');
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  environments: z
    .array(z.enum(APNS_ENVIRONMENTS, { error: `must be ${APNS_ENVIRONMENTS.join(' or ')}` }))
    .min(1, 'must name at least one environment')
    .max(2)
    .transform((list) => [...new Set(list)])
    .default([...APNS_ENVIRONMENTS]),
});

const settings = z.object({ team_id: z.string(), key_id: z.string(), environments: z.array(z.enum(APNS_ENVIRONMENTS)) });
type Settings = z.output<typeof settings>;

const appRef = z.strictObject({
  credential_id: z.string().regex(CREDENTIAL_ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 . _ -'),
  /** Defaults to the app id; the `default` app uses each token's app_id. */
  topic: z.string().regex(/^[A-Za-z0-9._-]{1,256}$/, 'must be a bundle id such as com.example.app').optional(),
  environment: z.enum(APP_ENVIRONMENTS, { error: `must be one of ${APP_ENVIRONMENTS.join(', ')}` }).default('production'),
});

const APNS_HEADERS = new Set(['apns-push-type', 'apns-priority', 'apns-expiration', 'apns-collapse-id']);

/** An APNs override: `headers` (only the apns-* ones that shape delivery, never the topic or authorization) and `body`. */
const overrideRules: OverrideRules = (override, refuse) => {
  for (const key of Object.keys(override)) if (key !== 'headers' && key !== 'body') refuse(key, 'is not a field of an APNs override: use headers (apns-*) and body');
  if (override.headers !== undefined) {
    if (!isObject(override.headers)) refuse('headers', 'must be an object');
    else
      for (const [name, value] of Object.entries(override.headers)) {
        if (!APNS_HEADERS.has(name.toLowerCase())) refuse(`headers.${name}`, `is not a header an override may set (${[...APNS_HEADERS].join(', ')})`);
        else if (typeof value !== 'string' && typeof value !== 'number') refuse(`headers.${name}`, 'must be a string or a number');
      }
  }
  if (override.body !== undefined && !isObject(override.body)) refuse('body', 'must be an object');
};

export const apnsModule = defineProvider({
  key: 'apn',
  credentialBody: body,
  seal: (input) => ({ material: input.key, settings: { team_id: input.team_id, key_id: input.key_id, environments: input.environments } }),
  settings,
  legacyField: 'apn',
  view: (s: Settings) => ({ team_id: s.team_id, key_id: s.key_id, environments: s.environments }),
  viewSchema: { team_id: z.string().optional(), key_id: z.string().optional(), environments: z.array(z.enum(APNS_ENVIRONMENTS)).optional() },
  client: (material, s: Settings, { delivery, environment }) => {
    const production = environment !== 'sandbox';
    const endpoint = production ? delivery.endpoints.apns : delivery.endpoints.apnsSandbox;
    const channelsEndpoint = production ? delivery.endpoints.apnsChannels : delivery.endpoints.apnsChannelsSandbox;
    return new ApnsProvider({ signingKey: material, keyId: s.key_id, teamId: s.team_id, production, maxInFlight: delivery.apnsMaxInFlight, ...(endpoint ? { endpoint } : {}), ...(channelsEndpoint ? { channelsEndpoint } : {}) });
  },
  instance: (config, problems) => {
    if (!config.apns) return undefined;
    const { keyFile, keyId, teamId, topic, production, endpoint, maxInFlight } = config.apns;
    const signingKey = readApnsKeyFile(keyFile, problems);
    return signingKey ? new ApnsProvider({ signingKey, keyId, teamId, topic, production, maxInFlight, ...(endpoint ? { endpoint } : {}) }) : undefined;
  },
  appRef,
  linkProblem: (ref, s: Settings) => {
    const environment = (ref as z.output<typeof appRef>).environment;
    if (environment === 'auto' || s.environments.includes(environment)) return undefined;
    return { path: 'apn.environment', message: `the credential allows only ${s.environments.join(' and ')}` };
  },
  route: (ref, appId, tokenAppId) => {
    const { credential_id, topic, environment } = ref as z.output<typeof appRef>;
    // The default app serves many apps of one team: each token's own app id is its topic.
    const resolved = topic ?? (appId === 'default' ? tokenAppId : appId);
    if (!resolved) return { problem: { code: 'apns:no_topic', detail: 'no APNs topic for app default: it names none and the token has no app_id' } };
    return { credentialId: credential_id, topic: resolved, environment };
  },
  dispatch: async ({ route, settings: s, clientFor, tokens }) => {
    const topic = route.topic!;
    if (route.environment !== 'auto') {
      const client = await clientFor(route.environment ?? 'production');
      return (notification, list, options) => client.send(notification, list, { ...options, topic });
    }
    const { environments } = s as Settings;
    const production = environments.includes('production') ? await clientFor('production') : undefined;
    const sandbox = environments.includes('sandbox') ? await clientFor('sandbox') : undefined;
    const known = new Set(tokens.filter((t) => t.apns_environment === 'sandbox').map((t) => t.token));
    return (notification, list, options) => sendAuto(notification, list, { ...options, topic }, known, production, sandbox);
  },
  payloadSize: (notification, now) => ({ bytes: apnsPayloadBytes(buildApnsRequest(notification, 'topic', now)), max: APNS_MAX_PAYLOAD_BYTES }),
  overrideRules,
  cli: {
    selects: 'apn-key-file',
    options: { 'apn-key-file': { type: 'string' }, 'team-id': { type: 'string' }, 'key-id': { type: 'string' }, environments: { type: 'string' } },
    body: (values, read) => ({
      provider_key: 'apn',
      team_id: values['team-id'],
      key_id: values['key-id'],
      key: read('apn-key-file'),
      ...(typeof values.environments === 'string' ? { environments: values.environments.split('+') } : {}),
    }),
    appFlag: 'apn-credential',
    appOptions: { topic: { type: 'string' }, environment: { type: 'string' } },
    appRef: (credentialId, values) => ({
      credential_id: credentialId,
      ...(typeof values.topic === 'string' ? { topic: values.topic } : {}),
      ...(typeof values.environment === 'string' ? { environment: values.environment } : {}),
    }),
  },
});

/** APNS_KEY_FILE, read and checked at start-up so that a bad key stops it with a clear message. */
function readApnsKeyFile(file: string, problems: string[]): string | undefined {
  try {
    const pem = readFileSync(file, 'utf8');
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ec') throw new Error('it is not an EC (ES256) key');
    return pem;
  } catch (error) {
    problems.push(`APNS_KEY_FILE ${file} is not a readable .p8 signing key: ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * APNs environment `auto`: production first; on BadDeviceToken only, once more in the sandbox
 * (if the credential allows it). A token the sandbox delivers is marked, and goes straight to
 * the sandbox from then on. Only when both refuse it is the token dead. This ends the classic
 * bug where tokens of development builds get deleted.
 */
async function sendAuto(
  notification: Notification,
  tokens: readonly string[],
  options: SendOptions,
  knownSandbox: ReadonlySet<string>,
  production: PushProvider | undefined,
  sandbox: PushProvider | undefined,
): Promise<DeliveryResult[]> {
  const straightToSandbox = (token: string) => sandbox !== undefined && knownSandbox.has(token);
  const toSandbox = tokens.filter(straightToSandbox);
  const toProduction = tokens.filter((token) => !straightToSandbox(token));
  const results = new Map<string, DeliveryResult>();
  const first = production ? await production.send(notification, toProduction, options) : [];
  const retryInSandbox: string[] = [];
  for (const result of first) {
    if (result.outcome === 'invalid' && result.reason === APNS_BAD_DEVICE_TOKEN && sandbox) retryInSandbox.push(result.token);
    else results.set(result.token, result);
  }
  if (!production) retryInSandbox.push(...toProduction);
  const second = sandbox ? await sandbox.send(notification, [...toSandbox, ...retryInSandbox], options) : [];
  for (const result of second) results.set(result.token, result.outcome === 'delivered' ? { ...result, environment: 'sandbox' } : result);
  return tokens.map((token) => results.get(token) ?? { token, outcome: 'rejected', reason: 'apns:no_environment', detail: 'no environment of this credential serves the app' });
}
