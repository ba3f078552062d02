import { apnsPayloadBytes, APNS_MAX_PAYLOAD_BYTES, buildApnsRequest } from './apns-payload';
import { buildExpoMessage, EXPO_MAX_PAYLOAD_BYTES, expoPayloadBytes } from './expo-payload';
import { buildFcmMessage, fcmPayloadBytes, FCM_MAX_PAYLOAD_BYTES } from './fcm-payload';
import { buildOneSignalBody, oneSignalPayloadBytes, ONESIGNAL_MAX_PAYLOAD_BYTES } from './onesignal-payload';
import type { Notification } from './provider';
import { buildWebPushRequest, webPushEncryptedBytes, WEBPUSH_MAX_ENCRYPTED_BYTES } from './webpush-payload';

/**
 * Each provider's payload of a notification, measured as that provider will be sent it (its
 * override merged), against its limit. The adapters refuse a token whose payload is too big;
 * POST /send refuses a notification too big for every provider before sending anything.
 */
export type PayloadSize = { provider: string; bytes: number; max: number };

export function payloadSizes(notification: Notification, now: Date): PayloadSize[] {
  return [
    { provider: 'apn', bytes: apnsPayloadBytes(buildApnsRequest(notification, 'topic', now)), max: APNS_MAX_PAYLOAD_BYTES },
    { provider: 'firebase-fcm', bytes: fcmPayloadBytes(buildFcmMessage(notification, 'token', now)), max: FCM_MAX_PAYLOAD_BYTES },
    { provider: 'expo', bytes: expoPayloadBytes(buildExpoMessage(notification, now)), max: EXPO_MAX_PAYLOAD_BYTES },
    { provider: 'onesignal', bytes: oneSignalPayloadBytes(buildOneSignalBody(notification, now)), max: ONESIGNAL_MAX_PAYLOAD_BYTES },
    { provider: 'webpush', bytes: webPushEncryptedBytes(buildWebPushRequest(notification, now).payload), max: WEBPUSH_MAX_ENCRYPTED_BYTES },
  ];
}
