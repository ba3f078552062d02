import { TARGETING_OR_CREDENTIALS, type OverrideRules } from './overrides';
import { buildExpoMessage, EXPO_MAX_PAYLOAD_BYTES, expoPayloadBytes } from './expo-payload';
import { z } from 'zod';
import { ExpoProvider } from './expo-provider';
import { CREDENTIAL_ID_PATTERN } from './key-checks';
import { defineProvider } from './provider-module';

/**
 * Expo: a credential only for projects with enhanced push security (an access token); without
 * one the app is still routed to a client of its own. One Expo project per request, and the
 * tokens of one app are one project, so requests are grouped by app from the start.
 */
const body = z.strictObject({
  provider_key: z.literal('expo'),
  access_token: z.string().min(8, 'must be an Expo access token').max(1_000).optional(),
});
const settings = z.object({ has_access_token: z.boolean() });
type Settings = z.output<typeof settings>;

const EXPO_FIELDS = new Set(['data', 'title', 'subtitle', 'body', 'sound', 'ttl', 'expiration', 'priority', 'interruptionLevel', 'badge', 'channelId', 'icon', 'richContent', 'categoryId', 'mutableContent', '_contentAvailable']);

/** An Expo override: the push message's fields, never `to`. */
const overrideRules: OverrideRules = (override, refuse) => {
  for (const key of Object.keys(override)) {
    if (key === 'to') refuse(key, TARGETING_OR_CREDENTIALS);
    else if (!EXPO_FIELDS.has(key)) refuse(key, 'is not a field of an Expo push message');
  }
};

export const expoModule = defineProvider({
  key: 'expo',
  credentialBody: body,
  seal: (input) => ({ material: input.access_token ?? '', settings: { has_access_token: input.access_token !== undefined } }),
  settings,
  legacyField: 'expo',
  view: (s: Settings) => ({ has_access_token: s.has_access_token }),
  viewSchema: { has_access_token: z.boolean().optional().describe('Expo: whether an access token (enhanced push security) is stored') },
  client: (material, _s: Settings, { delivery }) =>
    new ExpoProvider({ ...(material ? { accessToken: material } : {}), ...(delivery.endpoints.expo ? { baseUrl: delivery.endpoints.expo } : {}) }),
  instance: (config) => (config.expo ? new ExpoProvider(config.expo) : undefined),
  appRef: z.strictObject({ credential_id: z.string().regex(CREDENTIAL_ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 . _ -') }),
  requestGroup: (token) => token.device?.app_id ?? '',
  payloadSize: (notification, now) => ({ bytes: expoPayloadBytes(buildExpoMessage(notification, now)), max: EXPO_MAX_PAYLOAD_BYTES }),
  overrideRules,
  cli: {
    selects: 'expo',
    options: { expo: { type: 'boolean' }, 'expo-access-token-file': { type: 'string' } },
    // The token is read from a file, never from the command line (where `ps` and shell history would keep it).
    body: (values, read) => ({ provider_key: 'expo', ...(values['expo-access-token-file'] !== undefined ? { access_token: read('expo-access-token-file').trim() } : {}) }),
    appFlag: 'expo-credential',
  },
});
