import type { Message } from 'firebase-admin/messaging';
import type { Notification } from './provider';

/**
 * Notification → FCM HTTP v1 message for one token, as a pure function. The Android block
 * carries priority, TTL and collapse key; the APNs block (FCM delivers iOS through APNs)
 * carries the same as apns-* headers, plus badge and sound.
 */
export function buildFcmMessage(notification: Notification, token: string, now: Date): Message {
  const message: Message = { token };
  if (notification.title !== undefined || notification.body !== undefined) {
    message.notification = {
      ...(notification.title !== undefined ? { title: notification.title } : {}),
      ...(notification.body !== undefined ? { body: notification.body } : {}),
    };
  }
  if (notification.data && Object.keys(notification.data).length > 0) message.data = { ...notification.data };

  const android: NonNullable<Message['android']> = {};
  if (notification.priority) android.priority = notification.priority;
  if (notification.ttlSeconds !== undefined) android.ttl = notification.ttlSeconds * 1000;
  if (notification.collapseKey !== undefined) android.collapseKey = notification.collapseKey;
  if (notification.sound !== undefined) android.notification = { sound: notification.sound };
  if (Object.keys(android).length > 0) message.android = android;

  const headers: Record<string, string> = {};
  if (notification.priority) headers['apns-priority'] = notification.priority === 'high' ? '10' : '5';
  if (notification.collapseKey !== undefined) headers['apns-collapse-id'] = notification.collapseKey;
  if (notification.ttlSeconds !== undefined) {
    // FCM expects apns-expiration as seconds since the epoch, computed at send time.
    headers['apns-expiration'] = String(notification.ttlSeconds === 0 ? 0 : Math.floor(now.getTime() / 1000) + notification.ttlSeconds);
  }
  const aps: Record<string, unknown> = {};
  if (notification.badge !== undefined) aps.badge = notification.badge;
  if (notification.sound !== undefined) aps.sound = notification.sound;
  if (Object.keys(headers).length > 0 || Object.keys(aps).length > 0) {
    message.apns = {
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(Object.keys(aps).length > 0 ? { payload: { aps } } : {}),
    };
  }
  return message;
}
