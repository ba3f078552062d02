import { isObject, type OverrideRules } from './overrides';
import { buildWebPushRequest, webPushEncryptedBytes, WEBPUSH_MAX_ENCRYPTED_BYTES } from './webpush-payload';
import { z } from 'zod';
import { CREDENTIAL_ID_PATTERN } from './key-checks';
import { defineProvider } from './provider-module';
import { vapidProblems } from './webpush-vapid';
import { WebPushProvider } from './webpush-provider';

/**
 * Web Push: an app's VAPID key pair. The private key is the sealed secret; the public key
 * (which pages subscribe with, GET /webpush/public-key) and the subject are stored in the clear.
 */
const FIELDS = { publicKey: 'vapid_public_key', privateKey: 'vapid_private_key', subject: 'subject' } as const;

const body = z
  .strictObject({
    provider_key: z.literal('webpush'),
    vapid_public_key: z.string().max(200),
    vapid_private_key: z.string().max(200),
    subject: z.string().max(1_000),
  })
  .superRefine((input, ctx) => {
    for (const problem of vapidProblems({ publicKey: input.vapid_public_key, privateKey: input.vapid_private_key, subject: input.subject })) {
      ctx.addIssue({ code: 'custom', path: [FIELDS[problem.field]], message: problem.message });
    }
  });
const settings = z.object({ vapid_public_key: z.string(), subject: z.string() });
type Settings = z.output<typeof settings>;

/** Web Push: the showNotification options (the Notification API's own) of the JSON a service worker shows. */
const WEBPUSH_FIELDS = ['title', 'body', 'icon', 'image', 'badge', 'tag', 'data', 'actions', 'dir', 'lang', 'renotify', 'requireInteraction', 'silent', 'timestamp', 'vibrate'];
/** Where a push goes (the endpoint) and its keys are the token's; an override shapes only the JSON shown. */
const overrideRules: OverrideRules = (override, refuse) => {
  for (const key of Object.keys(override)) {
    if (!WEBPUSH_FIELDS.includes(key)) refuse(key, `is not a field of a Web Push notification (${WEBPUSH_FIELDS.join(', ')})`);
  }
  if (override.data !== undefined && !isObject(override.data)) refuse('data', 'must be an object');
  if (override.actions !== undefined && !Array.isArray(override.actions)) refuse('actions', 'must be an array of {action, title, icon?}');
};

export const webPushModule = defineProvider({
  key: 'webpush',
  credentialBody: body,
  seal: (input) => ({ material: input.vapid_private_key, settings: { vapid_public_key: input.vapid_public_key, subject: input.subject } }),
  settings,
  legacyField: 'webpush',
  view: (s: Settings) => ({ vapid_public_key: s.vapid_public_key, subject: s.subject }),
  viewSchema: {
    vapid_public_key: z.string().optional().describe("Web Push: the VAPID public key, a page's applicationServerKey"),
    subject: z.string().optional().describe('Web Push: the VAPID subject (mailto: or https:)'),
  },
  client: (material, s: Settings, { delivery }) => new WebPushProvider({ vapid: { publicKey: s.vapid_public_key, privateKey: material, subject: s.subject }, delivery: delivery.webpush }),
  instance: (config) => (config.webpushVapid && config.delivery ? new WebPushProvider({ vapid: config.webpushVapid, delivery: config.delivery.webpush }) : undefined),
  appRef: z.strictObject({ credential_id: z.string().regex(CREDENTIAL_ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 . _ -') }),
  payloadSize: (notification, now) => ({ bytes: webPushEncryptedBytes(buildWebPushRequest(notification, now).payload), max: WEBPUSH_MAX_ENCRYPTED_BYTES }),
  overrideRules,
  cli: {
    selects: 'vapid-public-key',
    options: { 'vapid-public-key': { type: 'string' }, 'vapid-private-key-file': { type: 'string' }, 'vapid-subject': { type: 'string' } },
    body: (values, read) => ({ provider_key: 'webpush', vapid_public_key: values['vapid-public-key'], vapid_private_key: read('vapid-private-key-file').trim(), subject: values['vapid-subject'] }),
    appFlag: 'webpush-credential',
  },
});
