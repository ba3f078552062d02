import { DEFAULT_APP, routeToken, type Route } from '../apps/app-routing';
import type { CredentialStore } from '../apps/credential-store';
import type { AcquiredClient, ProviderClients } from '../apps/provider-clients';
import type { DeliveryResult, Notification, PushProvider, SendOptions } from '../providers/provider';
import { APNS_BAD_DEVICE_TOKEN } from '../providers/apns-classification';
import type { Reason } from '../providers/reason';
import type { ProviderRegistry } from '../providers/provider-registry';
import type { ProviderKey } from '../tokens/token-fields';
import type { SendableToken } from './delivery-store';

/**
 * Splits a send's tokens into groups that go out through one client each: the app's
 * credential (issue 11's model) or the instance-wide registry. A token nothing serves is
 * refused (`rejected`, left active). Clients are acquired for the send and released after it.
 */
export type DeliveryGroup = {
  provider: ProviderKey;
  /** The app credential the group is sent with (its client reads Expo receipts later); null for the instance-wide client. */
  credentialId: string | null;
  /** For logs: which app and credential, never a secret. */
  label: { app?: string; credential?: string; environment?: string };
  tokens: SendableToken[];
  send: (notification: Notification, tokens: readonly string[], options?: SendOptions) => Promise<DeliveryResult[]>;
};
/** A token no client can send, and why (reason.ts). */
export type Refusal = { token: SendableToken } & Reason;
export type DeliveryPlan = { groups: DeliveryGroup[]; refused: Refusal[]; release: () => void };

export class DeliveryRouter {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly store: CredentialStore,
    private readonly clients: ProviderClients,
  ) {}

  async plan(workspaceId: string, tokens: readonly SendableToken[]): Promise<DeliveryPlan> {
    const appIds = new Set(tokens.flatMap((t) => (t.device?.app_id ? [t.device.app_id] : [])));
    const apps = tokens.length > 0 ? await this.store.appsById(workspaceId, [...appIds, DEFAULT_APP]) : new Map();
    const instanceWide = new Set(this.registry.configured());
    const byRoute = new Map<string, { route: Exclude<Route, { kind: 'none' }>; provider: ProviderKey; tokens: SendableToken[] }>();
    const refused: DeliveryPlan['refused'] = [];
    for (const token of tokens) {
      const route = routeToken({ provider_key: token.provider_key, app_id: token.device?.app_id }, apps, instanceWide);
      if (route.kind === 'none') {
        refused.push({ token, code: route.code, ...(route.detail !== undefined ? { detail: route.detail } : {}) });
        continue;
      }
      // Expo takes one project per request; tokens of one app are one project, so group them by app from the start.
      const key = route.kind === 'instance' ? `instance\u0000${token.provider_key}\u0000${token.provider_key === 'expo' ? (token.device?.app_id ?? '') : ''}` : JSON.stringify(route);
      const entry = byRoute.get(key) ?? { route, provider: token.provider_key, tokens: [] };
      entry.tokens.push(token);
      byRoute.set(key, entry);
    }

    const credentialIds = [...byRoute.values()].flatMap(({ route }) => ('credentialId' in route ? [route.credentialId] : []));
    const credentials = credentialIds.length > 0 ? await this.store.credentialsById(workspaceId, credentialIds) : new Map();
    const acquired: AcquiredClient[] = [];
    const groups: DeliveryGroup[] = [];
    for (const { route, provider, tokens: members } of byRoute.values()) {
      if (route.kind === 'instance') {
        groups.push({ provider, credentialId: null, label: {}, tokens: members, send: (notification, list, options) => this.registry.send(provider, notification, list, options) });
        continue;
      }
      const label = { app: route.appId, credential: route.credentialId, ...(route.kind === 'apn' ? { environment: route.environment } : {}) };
      const credential = credentials.get(route.credentialId);
      if (!credential) {
        for (const token of members) refused.push({ token, code: 'credential_missing', detail: `${route.credentialId} of app ${route.appId}` });
        continue;
      }
      try {
        const clientFor = (environment?: 'production' | 'sandbox') =>
          this.clients.acquire(workspaceId, route.credentialId, credential.identity, route.kind, environment).then((handle) => {
            acquired.push(handle);
            return handle.client;
          });
        if (route.kind !== 'apn') {
          const client = await clientFor();
          groups.push({ provider, credentialId: route.credentialId, label, tokens: members, send: (notification, list, options) => client.send(notification, list, options) });
          continue;
        }
        const environments = credential.apn?.environments ?? [];
        const topic = route.topic;
        if (route.environment !== 'auto') {
          const client = await clientFor(route.environment);
          groups.push({ provider, credentialId: route.credentialId, label, tokens: members, send: (notification, list) => client.send(notification, list, { topic }) });
          continue;
        }
        const production = environments.includes('production') ? await clientFor('production') : undefined;
        const sandbox = environments.includes('sandbox') ? await clientFor('sandbox') : undefined;
        const known = new Set(members.filter((t) => t.apns_environment === 'sandbox').map((t) => t.token));
        groups.push({ provider, credentialId: route.credentialId, label, tokens: members, send: (notification, list) => sendAuto(notification, list, topic, known, production, sandbox) });
      } catch (error) {
        // Key material no configured key can decrypt (or a client that could not be built): a clear reason per token, never a crash.
        for (const token of members) refused.push({ token, code: 'credential_unusable', detail: `${route.credentialId} of app ${route.appId} can't be used: ${(error as Error).message}` });
      }
    }
    return { groups, refused, release: () => acquired.forEach((handle) => handle.release()) };
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
  topic: string,
  knownSandbox: ReadonlySet<string>,
  production: PushProvider | undefined,
  sandbox: PushProvider | undefined,
): Promise<DeliveryResult[]> {
  const straightToSandbox = (token: string) => sandbox !== undefined && knownSandbox.has(token);
  const toSandbox = tokens.filter(straightToSandbox);
  const toProduction = tokens.filter((token) => !straightToSandbox(token));
  const results = new Map<string, DeliveryResult>();
  const first = production ? await production.send(notification, toProduction, { topic }) : [];
  const retryInSandbox: string[] = [];
  for (const result of first) {
    // Under `auto`, production's BadDeviceToken means "try the sandbox": it may be a development build's token.
    if (result.outcome === 'invalid' && result.reason === APNS_BAD_DEVICE_TOKEN && sandbox) retryInSandbox.push(result.token);
    else results.set(result.token, result);
  }
  if (!production) retryInSandbox.push(...toProduction);
  const second = sandbox ? await sandbox.send(notification, [...toSandbox, ...retryInSandbox], { topic }) : [];
  for (const result of second) results.set(result.token, result.outcome === 'delivered' ? { ...result, environment: 'sandbox' } : result);
  return tokens.map((token) => results.get(token) ?? { token, outcome: 'rejected', reason: 'apns:no_environment', detail: 'no environment of this credential serves the app' });
}
