import type { FieldProblem } from '../errors';

/**
 * Courier's `message.providers.<key>.override`, as pure functions: it is deep-merged into that
 * provider's request after our mapping (objects merge; arrays and scalars replace), and it can
 * never redirect or re-authenticate a message: fields that target devices or carry credentials
 * are refused with a 400 naming them.
 */
type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `override` merged into `base`: objects merge key by key, arrays and scalars replace. Neither input changes. */
export function deepMerge<T extends Json>(base: T, override: Json): T {
  const merged: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = Object.hasOwn(merged, key) ? merged[key] : undefined;
    Object.defineProperty(merged, key, { value: isObject(current) && isObject(value) ? deepMerge(current, value) : structuredClone(value), enumerable: true, writable: true, configurable: true });
  }
  return merged as T;
}

/** The override's top-level fields each provider takes, and the fields no override may set. */
const APNS_HEADERS = new Set(['apns-push-type', 'apns-priority', 'apns-expiration', 'apns-collapse-id']);
const FCM_FIELDS = new Set(['notification', 'data', 'android', 'apns', 'webpush', 'fcm_options']);
const EXPO_FIELDS = new Set(['data', 'title', 'subtitle', 'body', 'sound', 'ttl', 'expiration', 'priority', 'interruptionLevel', 'badge', 'channelId', 'icon', 'richContent', 'categoryId', 'mutableContent', '_contentAvailable']);
/** Web Push: the showNotification options (the Notification API's own) of the JSON a service worker shows. */
const WEBPUSH_FIELDS = ['title', 'body', 'icon', 'image', 'badge', 'tag', 'data', 'actions', 'dir', 'lang', 'renotify', 'requireInteraction', 'silent', 'timestamp', 'vibrate'];
/** OneSignal: whom a notification goes to, which app and key, and its idempotency are ours. */
const ONESIGNAL_REFUSED = /^(app_id|include_.*|included_segments|excluded_segments|filters|external_id|target_channel|idempotency_key|api_key|authorization)$/i;

/** Problems with one provider's override, each naming its field (`message.providers.apn.override.headers.apns-topic`). */
export function overrideProblems(provider: string, override: unknown, prefix: string): FieldProblem[] {
  if (!isObject(override)) return [{ path: prefix, message: 'must be an object' }];
  const problems: FieldProblem[] = [];
  const refuse = (path: string, why = 'targets devices or carries credentials; an override may not set it') => problems.push({ path: `${prefix}.${path}`, message: why });
  switch (provider) {
    case 'apn':
      for (const key of Object.keys(override)) if (key !== 'headers' && key !== 'body') refuse(key, 'is not a field of an APNs override: use headers (apns-*) and body');
      if (override.headers !== undefined) {
        if (!isObject(override.headers)) refuse('headers', 'must be an object');
        else
          for (const [name, value] of Object.entries(override.headers)) {
            if (!APNS_HEADERS.has(name.toLowerCase())) refuse(`headers.${name}`, `is not a header an override may set (${[...APNS_HEADERS].join(', ')})`);
            else if (typeof value !== 'string' && typeof value !== 'number') refuse(`headers.${name}`, 'must be a string or a number');
          }
      }
      if (override.body !== undefined && !isObject(override.body)) refuse('body', 'must be an object');
      break;
    case 'firebase-fcm':
      for (const key of Object.keys(override)) {
        if (['token', 'topic', 'condition', 'name'].includes(key)) refuse(key);
        else if (!FCM_FIELDS.has(key)) refuse(key, `is not a field of an FCM message override (${[...FCM_FIELDS].join(', ')})`);
      }
      for (const [path, map] of [['data', override.data], ['android.data', isObject(override.android) ? override.android.data : undefined]] as const) {
        if (map === undefined) continue;
        if (!isObject(map)) refuse(path, 'must be an object of strings');
        else for (const [k, v] of Object.entries(map)) if (typeof v !== 'string') refuse(`${path}.${k}`, 'must be a string (FCM data values are strings)');
      }
      if (isObject(override.apns) && isObject(override.apns.headers)) {
        for (const name of Object.keys(override.apns.headers)) if (/^(apns-topic|authorization)$/i.test(name)) refuse(`apns.headers.${name}`);
      }
      break;
    case 'expo':
      for (const key of Object.keys(override)) {
        if (key === 'to') refuse(key);
        else if (!EXPO_FIELDS.has(key)) refuse(key, 'is not a field of an Expo push message');
      }
      break;
    case 'onesignal':
      for (const key of Object.keys(override)) if (ONESIGNAL_REFUSED.test(key)) refuse(key);
      break;
    case 'webpush':
      // The JSON a service worker shows; where it goes (the endpoint) and its keys are the token's.
      for (const key of Object.keys(override)) {
        if (!WEBPUSH_FIELDS.includes(key)) refuse(key, `is not a field of a Web Push notification (${WEBPUSH_FIELDS.join(', ')})`);
      }
      if (override.data !== undefined && !isObject(override.data)) refuse('data', 'must be an object');
      if (override.actions !== undefined && !Array.isArray(override.actions)) refuse('actions', 'must be an array of {action, title, icon?}');
      break;
  }
  return problems;
}

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
