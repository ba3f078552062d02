import type { ExpoPushMessage } from 'expo-server-sdk';
import { deepMerge } from './overrides';
import { hasNoText, ttlOf, type Notification } from './provider';

/**
 * Notification → the Expo push message every recipient of a chunk shares (`to` is added per
 * chunk). Pure. Expo has no collapse key, thread id, relevance score, colour, tag or localized
 * keys of its own, so those map to nothing (docs/providers.md); a notification with nothing
 * visible is a background push (`_contentAvailable`). Courier's `providers.expo.override` is
 * merged last.
 */
export type ExpoMessageBody = Omit<ExpoPushMessage, 'to'>;

/** Expo refuses a payload over 4096 bytes (MessageTooBig); the adapter measures before sending. */
export const EXPO_MAX_PAYLOAD_BYTES = 4096;
export const EXPO_MAX_RECIPIENTS = 100;
export const EXPO_MAX_RECEIPT_IDS = 1000;

export function buildExpoMessage(notification: Notification, now: Date = new Date()): ExpoMessageBody {
  const n = notification;
  const message: ExpoMessageBody = {};
  if (n.title !== undefined) message.title = n.title;
  if (n.subtitle !== undefined) message.subtitle = n.subtitle;
  if (n.body !== undefined) message.body = n.body;
  if (n.data && Object.keys(n.data).length > 0) message.data = { ...n.data };
  if (n.sound !== undefined) message.sound = n.sound;
  if (n.badge !== undefined) message.badge = n.badge;
  const ttl = ttlOf(n, now);
  if (ttl !== undefined) message.ttl = ttl;
  if (n.priority) message.priority = n.priority;
  if (n.contentAvailable || hasNoText(n)) message._contentAvailable = true;
  if (n.mutableContent || n.image !== undefined) message.mutableContent = true;
  if (n.image !== undefined) message.richContent = { image: n.image };
  if (n.category !== undefined) message.categoryId = n.category;
  if (n.interruptionLevel !== undefined) message.interruptionLevel = n.interruptionLevel;
  if (n.android?.channelId !== undefined) message.channelId = n.android.channelId;
  if (n.android?.icon !== undefined) message.icon = n.android.icon;
  const override = n.overrides?.expo;
  return override ? deepMerge(message as Record<string, unknown>, override) : message;
}

/**
 * What Expo counts toward its 4096-byte limit: the message as JSON in UTF-8, without the
 * recipients (an upper bound of the notification Expo builds from it).
 */
export function expoPayloadBytes(message: ExpoMessageBody): number {
  return Buffer.byteLength(JSON.stringify(message), 'utf8');
}
