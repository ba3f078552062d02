import type { Message } from 'firebase-admin/messaging';
import { deepMerge } from './overrides';
import { fcmWireToSdk } from './fcm-overrides';
import { isSilent, ttlOf, type Notification } from './provider';

/**
 * Notification → FCM HTTP v1 message for one token, as a pure function, in firebase-admin's
 * names (it renames them for the wire). The Android block carries priority, TTL, collapse key
 * and the Android notification; the APNs block (FCM delivers iOS through APNs) carries the
 * same as apns-* headers and the aps dictionary. A silent push is data-only, with
 * `apns-push-type: background` and `apns-priority: 5` for iOS devices. Courier's
 * `providers.firebase-fcm.override` (an FCM v1 wire message) is merged last.
 */
/** FCM refuses a message whose data and notification take more than 4096 bytes. */
export const FCM_MAX_PAYLOAD_BYTES = 4096;

/** FCM data values must be strings: other JSON values go JSON-encoded (docs/providers.md shows reading them back). */
export function fcmData(data: Notification['data']): Record<string, string> | undefined {
  if (!data || Object.keys(data).length === 0) return undefined;
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
}

export function buildFcmMessage(notification: Notification, token: string, now: Date): Message {
  const n = notification;
  const silent = isSilent(n);
  // Nothing to show, hear or count: a background push, data-only on Android.
  const background = silent && n.badge === undefined && n.sound === undefined;
  const message: Message = { token };
  if (!silent && (n.title !== undefined || n.body !== undefined || n.image !== undefined)) {
    message.notification = {
      ...(n.title !== undefined ? { title: n.title } : {}),
      ...(n.body !== undefined ? { body: n.body } : {}),
      ...(n.image !== undefined ? { imageUrl: n.image } : {}),
    };
  }
  const data = fcmData(n.data);
  if (data) message.data = data;
  const ttl = ttlOf(n, now);

  const android: NonNullable<Message['android']> = {};
  if (n.priority) android.priority = n.priority;
  if (ttl !== undefined) android.ttl = ttl * 1000;
  if (n.collapseKey !== undefined) android.collapseKey = n.collapseKey;
  const androidNotification: NonNullable<NonNullable<Message['android']>['notification']> = {};
  if (!background) {
    if (n.sound !== undefined) androidNotification.sound = n.sound;
    if (n.android?.channelId !== undefined) androidNotification.channelId = n.android.channelId;
    if (n.android?.icon !== undefined) androidNotification.icon = n.android.icon;
    if (n.android?.color !== undefined) androidNotification.color = n.android.color;
    if (n.android?.tag !== undefined) androidNotification.tag = n.android.tag;
    const clickAction = n.android?.clickAction ?? n.category;
    if (clickAction !== undefined) androidNotification.clickAction = clickAction;
    if (n.localization?.titleLocKey !== undefined) androidNotification.titleLocKey = n.localization.titleLocKey;
    if (n.localization?.titleLocArgs !== undefined) androidNotification.titleLocArgs = n.localization.titleLocArgs;
    if (n.localization?.locKey !== undefined) androidNotification.bodyLocKey = n.localization.locKey;
    if (n.localization?.locArgs !== undefined) androidNotification.bodyLocArgs = n.localization.locArgs;
  }
  if (Object.keys(androidNotification).length > 0) android.notification = androidNotification;
  if (Object.keys(android).length > 0) message.android = android;

  const headers: Record<string, string> = {};
  if (background) {
    headers['apns-push-type'] = 'background';
    headers['apns-priority'] = '5';
  } else if (n.priority) headers['apns-priority'] = n.priority === 'high' ? '10' : '5';
  if (n.collapseKey !== undefined) headers['apns-collapse-id'] = n.collapseKey;
  // FCM expects apns-expiration as seconds since the epoch, computed at send time.
  if (n.expiration !== undefined) headers['apns-expiration'] = String(Math.floor(n.expiration.getTime() / 1000));
  else if (ttl !== undefined) headers['apns-expiration'] = String(ttl === 0 ? 0 : Math.floor(now.getTime() / 1000) + ttl);
  const aps: Record<string, unknown> = {};
  if (n.badge !== undefined) aps.badge = n.badge;
  if (n.sound !== undefined) aps.sound = n.sound;
  if (n.contentAvailable || background) aps.contentAvailable = true;
  if (n.mutableContent || n.image !== undefined) aps.mutableContent = true;
  if (n.category !== undefined) aps.category = n.category;
  if (n.threadId !== undefined) aps.threadId = n.threadId;
  if (n.interruptionLevel !== undefined) aps['interruption-level'] = n.interruptionLevel;
  if (n.relevanceScore !== undefined) aps['relevance-score'] = n.relevanceScore;
  const alert: Record<string, unknown> = {};
  if (n.subtitle !== undefined) alert.subtitle = n.subtitle;
  if (n.localization?.titleLocKey !== undefined) alert.titleLocKey = n.localization.titleLocKey;
  if (n.localization?.titleLocArgs !== undefined) alert.titleLocArgs = n.localization.titleLocArgs;
  if (n.localization?.locKey !== undefined) alert.locKey = n.localization.locKey;
  if (n.localization?.locArgs !== undefined) alert.locArgs = n.localization.locArgs;
  if (Object.keys(alert).length > 0) aps.alert = alert;
  if (Object.keys(headers).length > 0 || Object.keys(aps).length > 0 || n.image !== undefined) {
    message.apns = {
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(Object.keys(aps).length > 0 ? { payload: { aps } } : {}),
      ...(n.image !== undefined ? { fcmOptions: { imageUrl: n.image } } : {}),
    };
  }
  const override = n.overrides?.['firebase-fcm'];
  return override ? (deepMerge(message as unknown as Record<string, unknown>, fcmWireToSdk(override)) as unknown as Message) : message;
}

/** What FCM counts toward its 4096 bytes: the data and notification of the message, as JSON. */
export function fcmPayloadBytes(message: Message): number {
  return Buffer.byteLength(JSON.stringify({ data: message.data ?? {}, notification: message.notification ?? {} }), 'utf8');
}
