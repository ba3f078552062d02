import fc from 'fast-check';
import { deepMerge } from '../../src/providers/overrides';
import { fcmWireToSdk } from '../../src/providers/fcm-overrides';
import { overrideProblems } from '../../src/providers/override-problems';
import type { ProviderKey } from '../../src/tokens/token-fields';

describe('deepMerge: objects merge, arrays and scalars replace', () => {
  it.each([
    ['a new key', { a: 1 }, { b: 2 }, { a: 1, b: 2 }],
    ['a scalar replaced', { a: 1 }, { a: 2 }, { a: 2 }],
    ['an object merged', { a: { x: 1, y: 2 } }, { a: { y: 3, z: 4 } }, { a: { x: 1, y: 3, z: 4 } }],
    ['an array replaced, not concatenated', { a: [1, 2] }, { a: [3] }, { a: [3] }],
    ['an object replaced by a scalar', { a: { x: 1 } }, { a: 'flat' }, { a: 'flat' }],
    ['a scalar replaced by an object', { a: 'flat' }, { a: { x: 1 } }, { a: { x: 1 } }],
    ['null set explicitly', { a: { x: 1 } }, { a: null }, { a: null }],
    ['deep', { aps: { alert: { title: 'T', body: 'B' }, badge: 1 } }, { aps: { alert: { body: 'b2' } } }, { aps: { alert: { title: 'T', body: 'b2' }, badge: 1 } }],
  ])('%s', (_name, base, override, expected) => {
    const before = structuredClone(base);
    expect(deepMerge(base as Record<string, unknown>, override as Record<string, unknown>)).toEqual(expected);
    expect(base).toEqual(before);
  });
});

describe('overrideProblems: what an override may not set, named', () => {
  const prefix = 'message.providers.x.override';
  it.each([
    ['apn', { headers: { 'apns-topic': 'com.other.app' } }, 'headers.apns-topic'],
    ['apn', { headers: { authorization: 'bearer x' } }, 'headers.authorization'],
    ['apn', { headers: { 'apns-id': 'x' } }, 'headers.apns-id'],
    ['apn', { device: 'abc' }, 'device'],
    ['apn', { body: 'text' }, 'body'],
    ['firebase-fcm', { token: 'other' }, 'token'],
    ['firebase-fcm', { topic: 'news' }, 'topic'],
    ['firebase-fcm', { condition: "'a' in topics" }, 'condition'],
    ['firebase-fcm', { apns: { headers: { 'apns-topic': 'x' } } }, 'apns.headers.apns-topic'],
    ['firebase-fcm', { data: { n: 1 } }, 'data.n'],
    ['firebase-fcm', { android: { data: { n: true } } }, 'android.data.n'],
    ['firebase-fcm', { notificaton: {} }, 'notificaton'],
    ['expo', { to: 'ExponentPushToken[other]' }, 'to'],
    ['expo', { recipients: [] }, 'recipients'],
    ['onesignal', { app_id: 'other' }, 'app_id'],
    ['onesignal', { include_aliases: { external_id: ['u'] } }, 'include_aliases'],
    ['onesignal', { include_player_ids: ['x'] }, 'include_player_ids'],
    ['onesignal', { included_segments: ['All'] }, 'included_segments'],
    ['onesignal', { filters: [] }, 'filters'],
  ])('%s %j: %s', (provider, override, field) => {
    expect(overrideProblems(provider as ProviderKey, override, prefix).map((p) => p.path)).toEqual([`${prefix}.${field}`]);
  });

  it.each([
    ['apn', { headers: { 'apns-priority': '5', 'apns-push-type': 'alert', 'apns-expiration': 0, 'apns-collapse-id': 'c' }, body: { aps: { sound: 'x' }, custom: 1 } }],
    ['firebase-fcm', { notification: { title: 'T' }, data: { a: 'b' }, android: { priority: 'HIGH' }, apns: { headers: { 'apns-priority': '10' } }, webpush: {}, fcm_options: {} }],
    ['expo', { title: 'T', data: { a: 1 }, channelId: 'c', _contentAvailable: true }],
    ['onesignal', { headings: { en: 'T' }, web_url: 'https://example.com', ios_sound: 'x' }],
  ])('%s takes %j', (provider, override) => {
    expect(overrideProblems(provider as ProviderKey, override, prefix)).toEqual([]);
  });
});

describe('fcmWireToSdk: FCM v1 wire names to firebase-admin’s, so a merge is on one name', () => {
  it.each([
    ['top-level fcm_options', { fcm_options: { analytics_label: 'l' } }, { fcmOptions: { analyticsLabel: 'l' } }],
    ['notification image', { notification: { image: 'https://x/y.png', title: 'T' } }, { notification: { imageUrl: 'https://x/y.png', title: 'T' } }],
    ['android renames and values', { android: { collapse_key: 'c', ttl: '3.5s', priority: 'HIGH' } }, { android: { collapseKey: 'c', ttl: 3500, priority: 'high' } }],
    [
      'android notification',
      { android: { notification: { click_action: 'A', channel_id: 'ch', notification_priority: 'PRIORITY_MAX', vibrate_timings: ['1s', '0.5s'], visibility: 'PUBLIC', tag: 't' } } },
      { android: { notification: { clickAction: 'A', channelId: 'ch', priority: 'max', vibrateTimingsMillis: [1000, 500], visibility: 'public', tag: 't' } } },
    ],
    ['aps keys', { apns: { payload: { aps: { 'content-available': 1, 'thread-id': 't', category: 'c' }, custom: 'x' } } }, { apns: { payload: { aps: { contentAvailable: 1, threadId: 't', category: 'c' }, custom: 'x' } } }],
    ['aps alert keys', { apns: { payload: { aps: { alert: { 'loc-key': 'K', 'title-loc-args': ['a'] } } } } }, { apns: { payload: { aps: { alert: { locKey: 'K', titleLocArgs: ['a'] } } } } }],
    ['apns headers untouched', { apns: { headers: { 'apns-priority': '5' }, fcm_options: { image: 'https://i' } } }, { apns: { headers: { 'apns-priority': '5' }, fcmOptions: { imageUrl: 'https://i' } } }],
    ['data keys untouched', { data: { click_action: 'x', fcm_options: 'y' } }, { data: { click_action: 'x', fcm_options: 'y' } }],
    ['unknown keys pass through', { android: { notification: { light_settings: { color: { red: 1 } } } } }, { android: { notification: { light_settings: { color: { red: 1 } } } } }],
  ])('%s', (_name, wire, sdk) => {
    expect(fcmWireToSdk(wire)).toEqual(sdk);
  });
});

describe('deepMerge, as properties over any JSON objects', () => {
  const json = fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 3 })) as unknown as fc.Arbitrary<Record<string, unknown>>;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

  it('every leaf of the override wins, every key only the base has stays, and neither input changes', () => {
    fc.assert(
      fc.property(json, json, (base, override) => {
        const [b, o] = [structuredClone(base), structuredClone(override)];
        const merged = deepMerge(base, override);
        expect(base).toEqual(b);
        expect(override).toEqual(o);
        const check = (m: Record<string, unknown>, x: Record<string, unknown>, y: Record<string, unknown>) => {
          for (const key of Object.keys(y)) {
            if (isObject(x[key]) && isObject(y[key])) check(m[key] as Record<string, unknown>, x[key] as Record<string, unknown>, y[key] as Record<string, unknown>);
            else expect(m[key]).toEqual(y[key]);
          }
          for (const key of Object.keys(x)) if (!(key in y)) expect(m[key]).toEqual(x[key]);
        };
        check(merged, base, override);
      }),
    );
  });

  it('merging nothing changes nothing', () => {
    fc.assert(fc.property(json, (base) => expect(deepMerge(base, {})).toEqual(base)));
  });
});
