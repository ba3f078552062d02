import type { ApnsRequest } from './apns-payload';
import type { LiveActivityPush, Notification } from './provider';

/**
 * A Live Activity event → the APNs request, as a pure function (Apple, "Starting and updating
 * Live Activities with ActivityKit push notifications"):
 *
 * - `apns-push-type: liveactivity`, and the topic is the app's bundle id with
 *   `.push-type.liveactivity` appended;
 * - `aps.timestamp` in **seconds** (iOS drops an event older than the last it showed),
 *   `aps.event`, `aps.content-state`; a start also `aps.attributes-type`, `aps.attributes`, and
 *   `aps.input-push-token: 1`, so that iOS 18 hands the new activity's update token to the app
 *   (or `aps.input-push-channel`, so that it subscribes to an iOS 18 broadcast channel instead);
 *   `stale-date`, `dismissal-date` (seconds), `relevance-score` and `alert` when given;
 * - priority 10 when there is an alert (iOS shows it at once), 5 otherwise. Apple budgets
 *   priority-10 updates per activity and throttles past the budget, so a score that changes
 *   every few seconds goes at 5, which iOS applies as power allows; `message.push.priority:
 *   "high"` asks for 10 anyway.
 */
export const LIVE_ACTIVITY_TOPIC_SUFFIX = '.push-type.liveactivity';

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

export function buildLiveActivityRequest(notification: Notification, activity: LiveActivityPush, bundleTopic: string, now: Date): ApnsRequest {
  const aps: Record<string, unknown> = { timestamp: seconds(activity.timestamp), event: activity.event, 'content-state': activity.contentState };
  if (activity.event === 'start') {
    if (activity.attributesType !== undefined) aps['attributes-type'] = activity.attributesType;
    aps.attributes = activity.attributes ?? {};
    // A started activity either reports its own update token or listens on a channel.
    if (activity.inputPushChannel !== undefined) aps['input-push-channel'] = activity.inputPushChannel;
    else aps['input-push-token'] = 1;
  }
  if (activity.staleDate) aps['stale-date'] = seconds(activity.staleDate);
  if (activity.dismissalDate) aps['dismissal-date'] = seconds(activity.dismissalDate);
  if (activity.relevanceScore !== undefined) aps['relevance-score'] = activity.relevanceScore;
  const alert = activity.alert ?? {};
  const hasAlert = alert.title !== undefined || alert.body !== undefined;
  if (hasAlert) {
    aps.alert = { ...(alert.title !== undefined ? { title: alert.title } : {}), ...(alert.body !== undefined ? { body: alert.body } : {}) };
    if (alert.sound !== undefined) aps.sound = alert.sound;
  }
  const request: ApnsRequest = {
    topic: bundleTopic.endsWith(LIVE_ACTIVITY_TOPIC_SUFFIX) ? bundleTopic : `${bundleTopic}${LIVE_ACTIVITY_TOPIC_SUFFIX}`,
    pushType: 'liveactivity',
    priority: hasAlert || notification.priority === 'high' ? 10 : 5,
    payload: { aps },
  };
  if (notification.ttlSeconds !== undefined) request.expiry = notification.ttlSeconds === 0 ? 0 : seconds(now) + notification.ttlSeconds;
  if (notification.expiration !== undefined) request.expiry = seconds(notification.expiration);
  return request;
}
