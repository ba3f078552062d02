import { isObject, TARGETING_OR_CREDENTIALS, type Json, type OverrideRules } from './overrides';

const FCM_FIELDS = new Set(['notification', 'data', 'android', 'apns', 'webpush', 'fcm_options']);

/** An FCM override: a v1 message's fields but its target; data values are strings; no apns-topic or authorization header. */
export const fcmOverrideRules: OverrideRules = (override, refuse) => {
  for (const key of Object.keys(override)) {
    if (['token', 'topic', 'condition', 'name'].includes(key)) refuse(key, TARGETING_OR_CREDENTIALS);
    else if (!FCM_FIELDS.has(key)) refuse(key, `is not a field of an FCM message override (${[...FCM_FIELDS].join(', ')})`);
  }
  for (const [path, map] of [['data', override.data], ['android.data', isObject(override.android) ? override.android.data : undefined]] as const) {
    if (map === undefined) continue;
    if (!isObject(map)) refuse(path, 'must be an object of strings');
    else for (const [k, v] of Object.entries(map)) if (typeof v !== 'string') refuse(`${path}.${k}`, 'must be a string (FCM data values are strings)');
  }
  if (isObject(override.apns) && isObject(override.apns.headers)) {
    for (const name of Object.keys(override.apns.headers)) if (/^(apns-topic|authorization)$/i.test(name)) refuse(`apns.headers.${name}`, TARGETING_OR_CREDENTIALS);
  }
};

/**
 * FCM overrides are written as the FCM v1 wire message (snake_case, `image`, `"3600s"`), while
 * firebase-admin takes its own names (camelCase, `imageUrl`, milliseconds) and renames them
 * itself: a wire key beside the SDK's name for it would be overwritten by ours. So the override
 * is turned into the SDK's names first, and the merge happens on one name. Keys the SDK does
 * not rename pass through to the wire as they are.
 */
type Renames = Record<string, string | [string, (value: unknown) => unknown]>;
const seconds = (value: unknown) => (typeof value === 'string' && /^\d+(\.\d+)?s$/.test(value) ? Math.round(parseFloat(value) * 1000) : value);
const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);
const FCM_RENAMES: Record<string, Renames> = {
  '': { fcm_options: 'fcmOptions' },
  notification: { image: 'imageUrl' },
  fcmOptions: { analytics_label: 'analyticsLabel' },
  android: { collapse_key: 'collapseKey', restricted_package_name: 'restrictedPackageName', direct_boot_ok: 'directBootOk', fcm_options: 'fcmOptions', ttl: ['ttl', seconds], priority: ['priority', lower] },
  'android.fcmOptions': { analytics_label: 'analyticsLabel' },
  'android.notification': {
    click_action: 'clickAction', body_loc_key: 'bodyLocKey', body_loc_args: 'bodyLocArgs', title_loc_key: 'titleLocKey', title_loc_args: 'titleLocArgs',
    channel_id: 'channelId', image: 'imageUrl', local_only: 'localOnly', notification_count: 'notificationCount', default_sound: 'defaultSound',
    default_vibrate_timings: 'defaultVibrateTimings', default_light_settings: 'defaultLightSettings', visibility: ['visibility', lower],
    notification_priority: ['priority', (value) => (typeof value === 'string' ? value.replace(/^PRIORITY_/i, '').toLowerCase() : value)],
    vibrate_timings: ['vibrateTimingsMillis', (value) => (Array.isArray(value) ? value.map(seconds) : value)],
    event_time: ['eventTimestamp', (value) => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value) : value)],
  },
  apns: { fcm_options: 'fcmOptions' },
  'apns.fcmOptions': { image: 'imageUrl', analytics_label: 'analyticsLabel' },
  'apns.payload.aps': { 'content-available': 'contentAvailable', 'mutable-content': 'mutableContent', 'thread-id': 'threadId' },
  'apns.payload.aps.alert': {
    'loc-key': 'locKey', 'loc-args': 'locArgs', 'title-loc-key': 'titleLocKey', 'title-loc-args': 'titleLocArgs',
    'subtitle-loc-key': 'subtitleLocKey', 'subtitle-loc-args': 'subtitleLocArgs', 'action-loc-key': 'actionLocKey', 'launch-image': 'launchImage',
  },
  webpush: { fcm_options: 'fcmOptions' },
  'webpush.fcmOptions': { analytics_label: 'analyticsLabel' },
};

/** An FCM v1 wire message (an override) in firebase-admin's names. */
export function fcmWireToSdk(wire: Json, path = ''): Json {
  // Own entries only: a key such as toString or constructor must not find Object.prototype's.
  const renames: Renames = Object.hasOwn(FCM_RENAMES, path) ? FCM_RENAMES[path]! : {};
  const out: Json = {};
  for (const [key, value] of Object.entries(wire)) {
    const rename = Object.hasOwn(renames, key) ? renames[key] : undefined;
    const [name, convert] = rename === undefined ? [key, undefined] : typeof rename === 'string' ? [rename, undefined] : rename;
    const childPath = path ? `${path}.${name}` : name;
    const converted = convert ? convert(value) : value;
    // An own property whatever its name (validation refuses "__proto__", and this never turns one into a prototype).
    Object.defineProperty(out, name, { value: isObject(converted) && !(converted instanceof Date) && path !== 'apns.headers' ? fcmWireToSdk(converted, childPath) : converted, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
