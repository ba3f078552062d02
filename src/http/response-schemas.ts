import { PROVIDER_MODULES } from '../providers/catalogue';
import { z } from 'zod';
import { liveActivityField } from '../tokens/live-activity';
import { MESSAGE_STATUSES } from '../messages/message-status';
import { DEVICE_PLATFORMS } from '../tokens/device-registry';
import { deviceFields, PROVIDER_KEYS, TOKEN_STATUSES, trackingFields, webPushKeysField } from '../tokens/token-fields';

/**
 * Shapes of the responses, for the OpenAPI document (and for tests that check real answers
 * against it). Requests are validated with the schemas next to each route.
 */
const isoDate = z.iso.datetime();

export const tokenObject = z.object({
  user_id: z.string(),
  token: z.string(),
  provider_key: z.enum(PROVIDER_KEYS),
  status: z.enum(TOKEN_STATUSES),
  status_reason: z.string().nullable(),
  properties: z.record(z.string(), z.unknown()),
  device: deviceFields.nullable(),
  tracking: trackingFields.nullable(),
  expiry_date: z.union([isoDate, z.literal(false)]),
  created_at: isoDate,
  updated_at: isoDate,
  last_used_at: isoDate.nullable(),
  keys: webPushKeysField.optional().describe("Web Push only: the subscription's keys (this route needs tokens:read)"),
  live_activity: liveActivityField.optional().describe("APNs only: a Live Activity's push-to-start or update token"),
});

export const tokenPage = z.object({
  tokens: z.array(tokenObject),
  paging: z.object({ cursor: z.string().nullable(), more: z.boolean() }),
});

export const deviceObject = z.object({
  id: z.string(),
  workspace_id: z.string(),
  person_id: z.string(),
  device_token: z.string(),
  platform: z.union([z.enum(DEVICE_PLATFORMS), z.string()]).nullable(),
  device_name: z.string().nullable(),
  device_model: z.string().nullable(),
  os_version: z.string().nullable(),
  app_version: z.string().nullable(),
  is_active: z.boolean(),
  is_valid: z.boolean(),
  last_used_at: isoDate.nullable(),
  created_at: isoDate,
  updated_at: isoDate,
  keys: webPushKeysField.optional().describe("Web Push only, and only for callers with tokens:read: the subscription's keys"),
  live_activity: liveActivityField.optional().describe("A Live Activity's push-to-start or update token (platform ios)"),
});

export const deviceList = z.object({ devices: z.array(deviceObject), total: z.number().int() });

export const sendReport = z.object({
  requestId: z.string().describe('Unique per send, as Courier answers it; the service logs it with the summary'),
  results: z.array(
    z.object({
      user_id: z.string().nullable(),
      token: z.string(),
      provider_key: z.enum(PROVIDER_KEYS).nullable(),
      outcome: z.enum(['delivered', 'invalid', 'retryable', 'rejected', 'skipped']),
      reason: z.string().nullable(),
    }),
  ),
  summary: z.object({ delivered: z.number().int(), invalidated: z.number().int(), failed: z.number().int(), skipped: z.number().int() }),
  effects: z
    .literal('pending')
    .optional()
    .describe('MongoDB failed after the providers answered: these outcomes are final, and the token writes, the message log and the webhooks follow once it is back (docs/architecture.md). Never a reason to send again.'),
});

export const errorBody = z.object({
  type: z.string(),
  message: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  missing_scope: z.string().optional(),
});

export const readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ mongodb: z.enum(['ok', 'down']), providers: z.enum(['ok', 'down']), shutting_down: z.boolean() }),
  reason: z.string().optional(),
});

/** A credential's fingerprint: the common fields, and each provider module's own (optional: they depend on provider_key). */
export const credentialView = z.object({
  credential_id: z.string(),
  provider_key: z.enum(PROVIDER_KEYS),
  ...Object.assign({}, ...PROVIDER_MODULES.map((m) => m.viewSchema)),
  key_sha256: z.string().describe('SHA-256 of the key material: a fingerprint, never the key'),
  rate_per_second: z.number().nullable().describe("Its pace for broadcasts, in notifications a second; null: the instance's BROADCAST_RATE_<PROVIDER>"),
  revision: z.number(),
  updated_at: z.string(),
});

export const appView = z.object({
  app_id: z.string(),
  ...Object.fromEntries(PROVIDER_MODULES.map((m) => [m.key, m.appRef.optional()])),
  revision: z.number(),
  updated_at: z.string(),
});

export const tokenStats = z.object({
  generated_at: z.string(),
  tokens: z.array(z.object({ provider_key: z.string(), status: z.string(), count: z.number() })),
  invalidated_per_day: z.array(z.object({ day: z.string().describe('UTC day, YYYY-MM-DD'), reason: z.string(), count: z.number() })),
  users: z.object({ total: z.number(), without_sendable_token: z.number() }),
  opened_per_day: z.array(z.object({ day: z.string(), sent: z.number(), opened: z.number(), open_rate: z.number().nullable() })),
});

const epochMs = z.number().int().describe('Epoch milliseconds');
/** Courier's MessageDetails (src/messages/message-view.ts). */
export const messageDetails = z.object({
  id: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  enqueued: epochMs,
  sent: epochMs.optional(),
  delivered: epochMs.optional(),
  opened: epochMs.optional(),
  clicked: epochMs.optional(),
  recipient: z.string().describe('The user id, or the masked token of a token recipient'),
  event: z.literal(''),
  notification: z.literal(''),
  error: z.string().nullable(),
  reason: z.enum(['NO_CHANNELS', 'NO_PROVIDERS', 'BOUNCED', 'PROVIDER_ERROR']).nullable(),
});
export const messageList = z.object({ results: z.array(messageDetails), paging: z.object({ cursor: z.string().nullable(), more: z.boolean() }) });
export const messageRetrieved = messageDetails.extend({
  request_id: z.string(),
  deliver_at: epochMs.optional(),
  providers: z.array(z.object({ provider: z.string(), delivered: z.number(), invalid: z.number(), rejected: z.number(), retryable: z.number() })),
  tokens: z.array(
    z.object({
      token_id: z.string().nullable(),
      provider_key: z.enum(PROVIDER_KEYS).nullable(),
      token: z.string().describe('****1234, unless the key has tokens:read and the token still exists'),
      outcome: z.enum(['delivered', 'invalid', 'retryable', 'rejected', 'skipped']),
      reason: z.string().nullable(),
      provider_id: z.string().nullable().describe('apns-id, FCM message name, Expo ticket id or OneSignal notification id'),
      attempts: z.number().int(),
      app_id: z.string().nullable(),
      receipt: z.object({ status: z.enum(['ok', 'error']), reason: z.string().optional(), ts: epochMs }).optional(),
    }),
  ).describe('The first 100 tokens'),
  tokens_omitted: z.record(z.string(), z.number()).optional().describe('Tokens beyond the first 100, by outcome'),
});
export const messageHistory = z.object({ results: z.array(z.object({ ts: epochMs, type: z.string() }).catchall(z.unknown())) });
export const delayedSend = z.object({ requestId: z.string() });

export const keyInfo = z.object({
  workspace_id: z.string(),
  scopes: z.array(z.string()),
  key_hint: z.string().describe('The last characters of the key, as logs show it'),
});

export const webhookView = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().nullable(),
  disabled: z.boolean(),
  disabled_reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  secret: z.string().optional().describe('whsec_…: in the answer to POST /webhooks only'),
});
