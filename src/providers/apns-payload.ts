import type { Notification } from './provider';

/**
 * Notification → APNs request, as a pure function (Apple, "Generating a remote notification"
 * and "Sending notification requests to APNs"). The adapter copies the result onto a
 * node-apn Notification; everything that decides what goes on the wire is here and tested.
 */
export type ApnsRequest = {
  topic: string;
  pushType: 'alert' | 'background';
  /** apns-priority: 10 = immediately, 5 = power-friendly; background pushes must use 5. */
  priority: 10 | 5;
  /** apns-expiration in seconds since the epoch; 0 = deliver once or drop. */
  expiry?: number;
  collapseId?: string;
  payload: Record<string, unknown>;
};

/** apns-collapse-id may not exceed 64 bytes. */
export const APNS_MAX_COLLAPSE_ID_BYTES = 64;

export function buildApnsRequest(notification: Notification, topic: string, now: Date): ApnsRequest {
  const hasAlert = notification.title !== undefined || notification.body !== undefined;
  const aps: Record<string, unknown> = {};
  if (hasAlert) {
    const alert: Record<string, string> = {};
    if (notification.title !== undefined) alert.title = notification.title;
    if (notification.body !== undefined) alert.body = notification.body;
    aps.alert = alert;
  }
  if (notification.badge !== undefined) aps.badge = notification.badge;
  if (notification.sound !== undefined) aps.sound = notification.sound;
  // A push with nothing to show is a background push, which Apple requires to say so.
  if (!hasAlert && notification.badge === undefined && notification.sound === undefined) aps['content-available'] = 1;
  const pushType = aps['content-available'] === 1 ? 'background' : 'alert';

  const request: ApnsRequest = {
    topic,
    pushType,
    priority: pushType === 'background' || notification.priority === 'normal' ? 5 : 10,
    // Custom data sits beside `aps`, which is Apple's own key and never overwritten.
    payload: { ...notification.data, aps },
  };
  if (notification.ttlSeconds !== undefined) {
    request.expiry = notification.ttlSeconds === 0 ? 0 : Math.floor(now.getTime() / 1000) + notification.ttlSeconds;
  }
  if (notification.collapseKey !== undefined) request.collapseId = notification.collapseKey;
  return request;
}
