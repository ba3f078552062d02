import type { ExpoPushMessage } from 'expo-server-sdk';
import type { Notification } from './provider';

/**
 * Notification → the Expo push message every recipient of a chunk shares (`to` is added per
 * chunk). Pure. Expo has no collapse key of its own for both platforms, so `collapseKey` maps
 * to nothing; a notification with nothing visible is a background push (`_contentAvailable`).
 */
export type ExpoMessageBody = Omit<ExpoPushMessage, 'to'>;

/** Expo refuses a payload over 4096 bytes (MessageTooBig); the adapter measures before sending. */
export const EXPO_MAX_PAYLOAD_BYTES = 4096;
export const EXPO_MAX_RECIPIENTS = 100;
export const EXPO_MAX_RECEIPT_IDS = 1000;

export function buildExpoMessage(notification: Notification): ExpoMessageBody {
  const message: ExpoMessageBody = {};
  if (notification.title !== undefined) message.title = notification.title;
  if (notification.body !== undefined) message.body = notification.body;
  if (notification.data && Object.keys(notification.data).length > 0) message.data = { ...notification.data };
  if (notification.sound !== undefined) message.sound = notification.sound;
  if (notification.badge !== undefined) message.badge = notification.badge;
  if (notification.ttlSeconds !== undefined) message.ttl = notification.ttlSeconds;
  if (notification.priority) message.priority = notification.priority;
  if (notification.title === undefined && notification.body === undefined) message._contentAvailable = true;
  return message;
}

/**
 * What Expo counts toward its 4096-byte limit: the message as JSON in UTF-8, without the
 * recipients (an upper bound of the notification Expo builds from it).
 */
export function expoPayloadBytes(message: ExpoMessageBody): number {
  return Buffer.byteLength(JSON.stringify(message), 'utf8');
}
