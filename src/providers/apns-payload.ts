import { deepMerge } from './overrides';
import { buildLiveActivityRequest } from './apns-live-activity';
import { isSilent, type Notification } from './provider';

/**
 * Notification → APNs request, as a pure function (Apple, "Generating a remote notification"
 * and "Sending notification requests to APNs"). The adapter copies the result onto a
 * node-apn Notification; everything that decides what goes on the wire is here and tested,
 * Courier's `providers.apn.override` ({headers, body}) included, merged last.
 */
export type ApnsRequest = {
  topic: string;
  pushType: string;
  /** apns-priority: 10 = immediately, 5 = power-friendly; background pushes must use 5. */
  priority: number;
  /** apns-expiration in seconds since the epoch; 0 = deliver once or drop. */
  expiry?: number;
  collapseId?: string;
  payload: Record<string, unknown>;
};

/** apns-collapse-id may not exceed 64 bytes. */
export const APNS_MAX_COLLAPSE_ID_BYTES = 64;
/** Apple refuses a payload over 4 KB (PayloadTooLarge); the adapter measures before sending. */
export const APNS_MAX_PAYLOAD_BYTES = 4096;
/**
 * Where an image goes for a Notification Service Extension: `fcm_options.image`, the key
 * Firebase's NSE helper (FIRMessagingExtensionHelper) already reads, so an app that uses it
 * shows the image with no code of its own; others read the same key (docs/providers.md).
 */
export const APNS_IMAGE_KEY = 'fcm_options';

export function buildApnsRequest(notification: Notification, topic: string, now: Date): ApnsRequest {
  const n = notification;
  // A Live Activity's push has a shape of its own (apns-live-activity.ts); the override still applies last.
  if (n.liveActivity) return applyApnsOverride(buildLiveActivityRequest(n, n.liveActivity, topic, now), n.overrides?.apn);
  const aps: Record<string, unknown> = {};
  const alert: Record<string, unknown> = {};
  if (n.title !== undefined) alert.title = n.title;
  if (n.subtitle !== undefined) alert.subtitle = n.subtitle;
  if (n.body !== undefined) alert.body = n.body;
  if (n.localization?.titleLocKey !== undefined) alert['title-loc-key'] = n.localization.titleLocKey;
  if (n.localization?.titleLocArgs !== undefined) alert['title-loc-args'] = n.localization.titleLocArgs;
  if (n.localization?.locKey !== undefined) alert['loc-key'] = n.localization.locKey;
  if (n.localization?.locArgs !== undefined) alert['loc-args'] = n.localization.locArgs;
  const silent = isSilent(n);
  if (Object.keys(alert).length > 0) aps.alert = alert;
  if (n.badge !== undefined) aps.badge = n.badge;
  if (n.sound !== undefined) aps.sound = n.sound;
  // A push with nothing to show is a background push, which Apple requires to say so.
  const background = silent && n.badge === undefined && n.sound === undefined;
  if (n.contentAvailable || background) aps['content-available'] = 1;
  if (n.mutableContent || n.image !== undefined) aps['mutable-content'] = 1;
  if (n.category !== undefined) aps.category = n.category;
  if (n.threadId !== undefined) aps['thread-id'] = n.threadId;
  if (n.interruptionLevel !== undefined) aps['interruption-level'] = n.interruptionLevel;
  if (n.relevanceScore !== undefined) aps['relevance-score'] = n.relevanceScore;
  const pushType = background ? 'background' : 'alert';

  // Custom data sits beside `aps`, which is Apple's own key and never overwritten by data.
  const payload: Record<string, unknown> = { ...n.data, ...(n.image !== undefined ? { [APNS_IMAGE_KEY]: { image: n.image } } : {}), aps };
  const request: ApnsRequest = { topic, pushType, priority: pushType === 'background' || n.priority === 'normal' ? 5 : 10, payload };
  if (n.ttlSeconds !== undefined) request.expiry = n.ttlSeconds === 0 ? 0 : Math.floor(now.getTime() / 1000) + n.ttlSeconds;
  if (n.expiration !== undefined) request.expiry = Math.floor(n.expiration.getTime() / 1000);
  if (n.collapseKey !== undefined) request.collapseId = n.collapseKey;
  return applyApnsOverride(request, n.overrides?.apn);
}

/** `{headers: {apns-*}, body}`: the headers replace ours, the body is deep-merged into the payload. */
function applyApnsOverride(request: ApnsRequest, override: Record<string, unknown> | undefined): ApnsRequest {
  if (!override) return request;
  const next = { ...request };
  const headers = (override.headers ?? {}) as Record<string, string | number>;
  for (const [name, value] of Object.entries(headers)) {
    const header = name.toLowerCase();
    if (header === 'apns-push-type') next.pushType = String(value);
    else if (header === 'apns-priority') next.priority = Number(value);
    else if (header === 'apns-expiration') next.expiry = Number(value);
    else if (header === 'apns-collapse-id') next.collapseId = String(value);
  }
  if (override.body) next.payload = deepMerge(request.payload, override.body as Record<string, unknown>);
  return next;
}

/** The payload's size as Apple counts it: its JSON in UTF-8. */
export function apnsPayloadBytes(request: ApnsRequest): number {
  return Buffer.byteLength(JSON.stringify(request.payload), 'utf8');
}
