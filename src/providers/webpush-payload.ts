import { deepMerge } from './overrides';
import { isSilent, ttlOf, type Notification } from './provider';

/**
 * Notification → a Web Push request: the JSON a service worker passes to
 * `showNotification(title, options)` (docs/providers.md has the service worker), and the
 * headers RFC 8030 defines (TTL, Urgency, Topic). Pure. Courier's
 * `providers.webpush.override` is merged into the JSON last.
 *
 * Web notifications have no subtitle, localized keys, badge count, sound, category or
 * interruption level: those fields are not mapped (the field table in docs/providers.md).
 * `badge` and `icon` are image URLs on the web, so they come only from an override.
 */
export type WebPushPayload = {
  title?: string;
  body?: string;
  icon?: string;
  image?: string;
  badge?: string;
  tag?: string;
  data?: Record<string, unknown>;
  actions?: { action: string; title: string; icon?: string }[];
} & Record<string, unknown>;

export type WebPushRequest = { payload: WebPushPayload; ttl: number; urgency: 'very-low' | 'low' | 'normal' | 'high'; topic?: string };

/** What a push service keeps an undelivered message for unless told otherwise: 28 days, as APNs and FCM. */
export const WEBPUSH_DEFAULT_TTL_SECONDS = 28 * 24 * 3600;
/** RFC 8030's Topic: at most 32 characters of the URL-safe base64 alphabet. */
export const WEBPUSH_TOPIC = /^[A-Za-z0-9_-]{1,32}$/;
/**
 * What aes128gcm adds to the JSON (RFC 8188, 8291): a 86-byte header (16 salt, 4 record size,
 * 1 key-id length, the 65-byte sender key), a 1-byte padding delimiter and a 16-byte tag, in one
 * record. Push services take at most 4096 bytes of that.
 */
export const WEBPUSH_ENCRYPTION_OVERHEAD = 103;
export const WEBPUSH_MAX_ENCRYPTED_BYTES = 4096;

export function buildWebPushRequest(notification: Notification, now: Date): WebPushRequest {
  const n = notification;
  const payload: WebPushPayload = {};
  if (n.title !== undefined) payload.title = n.title;
  if (n.body !== undefined) payload.body = n.body;
  if (n.image !== undefined) payload.image = n.image;
  // One notification per tag in the tray: the newer replaces the older, as collapse keys do elsewhere.
  const tag = n.android?.tag ?? n.collapseKey;
  if (tag !== undefined) payload.tag = tag;
  if (n.data) payload.data = n.data;
  const override = n.overrides?.webpush;
  const ttl = ttlOf(n, now) ?? WEBPUSH_DEFAULT_TTL_SECONDS;
  // A push with nothing to show may wait for the device's next wake-up.
  const urgency = n.priority === 'high' ? 'high' : n.priority === 'normal' ? 'normal' : isSilent(n) && n.contentAvailable ? 'low' : 'normal';
  return {
    payload: override ? deepMerge(payload, override) : payload,
    ttl,
    urgency,
    ...(n.collapseKey !== undefined ? { topic: n.collapseKey } : {}),
  };
}

/** The payload's bytes after aes128gcm encryption: what the 4096-byte limit counts. */
export function webPushEncryptedBytes(payload: WebPushPayload): number {
  return Buffer.byteLength(JSON.stringify(payload), 'utf8') + WEBPUSH_ENCRYPTION_OVERHEAD;
}
