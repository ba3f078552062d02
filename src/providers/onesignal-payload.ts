import { deepMerge } from './overrides';
import { hasNoText, ttlOf, type Notification } from './provider';

/**
 * Notification → the body of OneSignal's POST /notifications, without its recipients, app
 * and idempotency key (the adapter adds those, and an override can't change them). Pure.
 * OneSignal has no localized-key fields (docs/providers.md). Courier's
 * `providers.onesignal.override` is merged last.
 */
/** OneSignal's documented limit: a notification's payload, as Apple's, is at most 4096 bytes. */
export const ONESIGNAL_MAX_PAYLOAD_BYTES = 4096;

export function buildOneSignalBody(notification: Notification, now: Date): Record<string, unknown> {
  const n = notification;
  const text = n.body ?? n.title;
  const body: Record<string, unknown> = {};
  if (text !== undefined) body.contents = { en: text };
  if (n.title !== undefined && n.body !== undefined) body.headings = { en: n.title };
  if (n.subtitle !== undefined) body.subtitle = { en: n.subtitle };
  if (n.contentAvailable || hasNoText(n)) body.content_available = true;
  if (n.mutableContent || n.image !== undefined) body.mutable_content = true;
  if (n.data) body.data = n.data;
  const ttl = ttlOf(n, now);
  if (ttl !== undefined) body.ttl = ttl;
  if (n.priority) body.priority = n.priority === 'high' ? 10 : 5;
  if (n.collapseKey) body.collapse_id = n.collapseKey;
  if (n.badge !== undefined) {
    body.ios_badgeType = 'SetTo';
    body.ios_badgeCount = n.badge;
  }
  if (n.sound !== undefined) body.ios_sound = n.sound;
  if (n.image !== undefined) {
    body.big_picture = n.image;
    body.ios_attachments = { image: n.image };
  }
  if (n.category !== undefined) body.ios_category = n.category;
  if (n.threadId !== undefined) {
    body.thread_id = n.threadId;
    body.android_group = n.threadId;
  }
  if (n.interruptionLevel !== undefined) body.ios_interruption_level = n.interruptionLevel;
  if (n.relevanceScore !== undefined) body.ios_relevance_score = n.relevanceScore;
  if (n.android?.channelId !== undefined) body.android_channel_id = n.android.channelId;
  if (n.android?.icon !== undefined) body.small_icon = n.android.icon;
  // OneSignal takes ARGB: opaque, then the #RRGGBB.
  if (n.android?.color !== undefined) body.android_accent_color = `FF${n.android.color.slice(1).toUpperCase()}`;
  const override = n.overrides?.onesignal;
  return override ? deepMerge(body, override) : body;
}

/** The notification's size as OneSignal's limit counts it: the body as JSON, without its recipients. */
export function oneSignalPayloadBytes(body: Record<string, unknown>): number {
  return Buffer.byteLength(JSON.stringify(body), 'utf8');
}
