import { buildApnsRequest } from '../../src/providers/apns-payload';
import { buildFcmMessage } from '../../src/providers/fcm-payload';
import { buildExpoMessage } from '../../src/providers/expo-payload';
import { buildOneSignalBody } from '../../src/providers/onesignal-payload';
import type { Notification } from '../../src/providers/provider';

const now = new Date('2030-01-01T00:00:00.000Z');
const epoch = now.getTime() / 1000;

describe('buildApnsRequest', () => {
  const rows: [string, Notification, object][] = [
    ['title and body', { title: 'T', body: 'B' }, { pushType: 'alert', priority: 10, payload: { aps: { alert: { title: 'T', body: 'B' } } } }],
    ['data beside aps', { body: 'B', data: { order: '42' } }, { payload: { order: '42', aps: { alert: { body: 'B' } } } }],
    ['badge and sound', { badge: 2, sound: 'ping.caf' }, { pushType: 'alert', payload: { aps: { badge: 2, sound: 'ping.caf' } } }],
    ['nothing visible is a background push at priority 5', { data: { sync: '1' } }, { pushType: 'background', priority: 5, payload: { sync: '1', aps: { 'content-available': 1 } } }],
    ['normal priority', { title: 'T', priority: 'normal' }, { priority: 5 }],
    ['ttl', { title: 'T', ttlSeconds: 3600 }, { expiry: epoch + 3600 }],
    ['ttl 0 means now or never', { title: 'T', ttlSeconds: 0 }, { expiry: 0 }],
    ['collapse key', { title: 'T', collapseKey: 'score' }, { collapseId: 'score' }],
  ];
  it.each(rows)('%s', (_name, notification, expected) => {
    expect(buildApnsRequest(notification, 'com.example', now)).toMatchObject({ topic: 'com.example', ...expected });
  });

  it('never lets data overwrite aps', () => {
    const request = buildApnsRequest({ title: 'T', data: { aps: 'x' } as Record<string, string> }, 'com.example', now);
    expect(request.payload.aps).toEqual({ alert: { title: 'T' } });
  });
});

describe('buildFcmMessage', () => {
  const rows: [string, Notification, object][] = [
    ['title and body', { title: 'T', body: 'B' }, { token: 'tok', notification: { title: 'T', body: 'B' } }],
    ['data only', { data: { a: '1' } }, { token: 'tok', data: { a: '1' } }],
    ['priority, ttl, collapse key go to android and apns', { title: 'T', priority: 'high', ttlSeconds: 60, collapseKey: 'c' }, {
      android: { priority: 'high', ttl: 60_000, collapseKey: 'c' },
      apns: { headers: { 'apns-priority': '10', 'apns-collapse-id': 'c', 'apns-expiration': String(epoch + 60) } },
    }],
    ['badge and sound', { badge: 1, sound: 'default' }, { android: { notification: { sound: 'default' } }, apns: { payload: { aps: { badge: 1, sound: 'default' } } } }],
  ];
  it.each(rows)('%s', (_name, notification, expected) => {
    expect(buildFcmMessage(notification, 'tok', now)).toMatchObject(expected);
  });

  it('leaves out what was not asked for', () => {
    expect(buildFcmMessage({ title: 'T' }, 'tok', now)).toEqual({ token: 'tok', notification: { title: 'T' } });
  });
});

/** The fields of issue 20, row by row for each pure builder (the end-to-end test checks the same on the wire). */
describe('push fields (issue 20)', () => {
  const rich: Notification = {
    title: 'T', body: 'B', subtitle: 'S', image: 'https://i.example/a.png', category: 'C', threadId: 'th', interruptionLevel: 'passive', relevanceScore: 0.5,
    android: { channelId: 'ch', icon: 'ic', color: '#00FF00', tag: 'tg', clickAction: 'CA' },
  };
  const loc: Notification = { localization: { titleLocKey: 'TK', titleLocArgs: ['a'], locKey: 'BK', locArgs: ['b'] } };
  const silent: Notification = { data: { x: { y: 1 } }, contentAvailable: true };

  it.each<[string, Notification, object]>([
    ['rich', rich, { pushType: 'alert', payload: { fcm_options: { image: rich.image }, aps: { alert: { title: 'T', subtitle: 'S', body: 'B' }, 'mutable-content': 1, category: 'C', 'thread-id': 'th', 'interruption-level': 'passive', 'relevance-score': 0.5 } } }],
    ['localized', loc, { pushType: 'alert', payload: { aps: { alert: { 'title-loc-key': 'TK', 'title-loc-args': ['a'], 'loc-key': 'BK', 'loc-args': ['b'] } } } }],
    ['silent, nested data as JSON', silent, { pushType: 'background', priority: 5, payload: { x: { y: 1 }, aps: { 'content-available': 1 } } }],
    ['expiration', { title: 'T', expiration: new Date(now.getTime() + 60_000) }, { expiry: epoch + 60 }],
    ['override headers and body', { title: 'T', overrides: { apn: { headers: { 'apns-priority': 5, 'apns-push-type': 'alert' }, body: { aps: { badge: 9 }, k: 'v' } } } }, { priority: 5, payload: { k: 'v', aps: { alert: { title: 'T' }, badge: 9 } } }],
  ])('APNs: %s', (_name, notification, expected) => {
    expect(buildApnsRequest(notification, 'com.example', now)).toMatchObject(expected);
  });

  it.each<[string, Notification, object]>([
    ['rich', rich, { notification: { title: 'T', body: 'B', imageUrl: rich.image }, android: { notification: { channelId: 'ch', icon: 'ic', color: '#00FF00', tag: 'tg', clickAction: 'CA' } }, apns: { fcmOptions: { imageUrl: rich.image }, payload: { aps: { mutableContent: true, category: 'C', threadId: 'th', alert: { subtitle: 'S' } } } } }],
    ['category is the click action when none is given', { title: 'T', category: 'C' }, { android: { notification: { clickAction: 'C' } } }],
    ['localized', loc, { android: { notification: { titleLocKey: 'TK', titleLocArgs: ['a'], bodyLocKey: 'BK', bodyLocArgs: ['b'] } }, apns: { payload: { aps: { alert: { titleLocKey: 'TK', locKey: 'BK' } } } } }],
    ['silent: data-only, background for iOS', silent, { data: { x: '{"y":1}' }, apns: { headers: { 'apns-push-type': 'background', 'apns-priority': '5' }, payload: { aps: { contentAvailable: true } } } }],
    ['expiration: a TTL and apns-expiration', { title: 'T', expiration: new Date(now.getTime() + 60_000) }, { android: { ttl: 60_000 }, apns: { headers: { 'apns-expiration': String(epoch + 60) } } }],
    ['override in wire names', { title: 'T', overrides: { 'firebase-fcm': { android: { notification: { channel_id: 'x' } } } } }, { android: { notification: { channelId: 'x' } } }],
  ])('FCM: %s', (_name, notification, expected) => {
    expect(buildFcmMessage(notification, 'tok', now)).toMatchObject(expected);
  });

  it('FCM: a silent push has no notification and no Android notification', () => {
    const message = buildFcmMessage(silent, 'tok', now);
    expect(message).not.toHaveProperty('notification');
    expect(message.android?.notification).toBeUndefined();
  });

  it.each<[string, Notification, object]>([
    ['rich', rich, { title: 'T', subtitle: 'S', body: 'B', mutableContent: true, richContent: { image: rich.image }, categoryId: 'C', interruptionLevel: 'passive', channelId: 'ch', icon: 'ic' }],
    ['silent', silent, { data: { x: { y: 1 } }, _contentAvailable: true }],
    ['localized only: nothing Expo can show', loc, { _contentAvailable: true }],
    ['expiration: the TTL left', { title: 'T', expiration: new Date(now.getTime() + 60_000) }, { ttl: 60 }],
    ['override', { title: 'T', overrides: { expo: { title: 'E', channelId: 'c2' } } }, { title: 'E', channelId: 'c2' }],
  ])('Expo: %s', (_name, notification, expected) => {
    expect(buildExpoMessage(notification, now)).toMatchObject(expected);
  });

  it.each<[string, Notification, object]>([
    ['rich', rich, { headings: { en: 'T' }, contents: { en: 'B' }, subtitle: { en: 'S' }, big_picture: rich.image, ios_attachments: { image: rich.image }, mutable_content: true, ios_category: 'C', thread_id: 'th', android_group: 'th', ios_interruption_level: 'passive', ios_relevance_score: 0.5, android_channel_id: 'ch', small_icon: 'ic', android_accent_color: 'FF00FF00' }],
    ['silent', silent, { content_available: true, data: { x: { y: 1 } } }],
    ['badge', { title: 'T', badge: 4 }, { ios_badgeType: 'SetTo', ios_badgeCount: 4 }],
    ['override', { title: 'T', overrides: { onesignal: { headings: { fr: 'F' } } } }, { headings: { fr: 'F' } }],
  ])('OneSignal: %s', (_name, notification, expected) => {
    expect(buildOneSignalBody(notification, now)).toMatchObject(expected);
  });
});
