import { TARGETING_OR_CREDENTIALS, type OverrideRules } from './overrides';
import { buildOneSignalBody, oneSignalPayloadBytes, ONESIGNAL_MAX_PAYLOAD_BYTES } from './onesignal-payload';
import { z } from 'zod';
import { UUID_PATTERN } from '../tokens/token-formats';
import { CREDENTIAL_ID_PATTERN } from './key-checks';
import { OneSignalProvider } from './onesignal-provider';
import { defineProvider } from './provider-module';

/** OneSignal: an app's App API key (the sealed secret), with the app id it belongs to in the clear. */
const body = z.strictObject({
  provider_key: z.literal('onesignal'),
  app_id: z.string().regex(UUID_PATTERN, 'must be the OneSignal app id (a UUID)'),
  api_key: z.string().min(8, 'must be the OneSignal App API key').max(1_000),
});
const settings = z.object({ app_id: z.string() });
type Settings = z.output<typeof settings>;

/** OneSignal: whom a notification goes to, which app and key, and its idempotency are ours. */
const ONESIGNAL_REFUSED = /^(app_id|include_.*|included_segments|excluded_segments|filters|external_id|target_channel|idempotency_key|api_key|authorization)$/i;
const overrideRules: OverrideRules = (override, refuse) => {
  for (const key of Object.keys(override)) if (ONESIGNAL_REFUSED.test(key)) refuse(key, TARGETING_OR_CREDENTIALS);
};

export const oneSignalModule = defineProvider({
  key: 'onesignal',
  credentialBody: body,
  seal: (input) => ({ material: input.api_key, settings: { app_id: input.app_id } }),
  settings,
  legacyField: 'onesignal',
  view: (s: Settings) => ({ app_id: s.app_id }),
  viewSchema: { app_id: z.string().optional().describe('OneSignal: the app id the API key belongs to') },
  client: (material, s: Settings, { delivery }) =>
    new OneSignalProvider({ appId: s.app_id, apiKey: material, ...(delivery.endpoints.onesignal ? { endpoint: delivery.endpoints.onesignal } : {}) }),
  instance: (config) => (config.onesignal ? new OneSignalProvider(config.onesignal) : undefined),
  appRef: z.strictObject({ credential_id: z.string().regex(CREDENTIAL_ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 . _ -') }),
  payloadSize: (notification, now) => ({ bytes: oneSignalPayloadBytes(buildOneSignalBody(notification, now)), max: ONESIGNAL_MAX_PAYLOAD_BYTES }),
  overrideRules,
  cli: {
    selects: 'onesignal-app-id',
    options: { 'onesignal-app-id': { type: 'string' }, 'onesignal-api-key-file': { type: 'string' } },
    body: (values, read) => ({ provider_key: 'onesignal', app_id: values['onesignal-app-id'], api_key: read('onesignal-api-key-file').trim() }),
    appFlag: 'onesignal-credential',
  },
});
