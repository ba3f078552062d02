import { apiClient } from '../support/api-client';
import { startAllProviders, type AllProviders } from '../support/all-providers';
import { KEY_A } from '../support/test-app';

/**
 * Every field of message.push, nested data, and Courier's provider overrides, through POST
 * /send and the real SDKs: what each simulator received on the wire (issue 20). The field
 * table of docs/providers.md, checked row by row.
 */
let p: AllProviders;
beforeAll(async () => {
  p = await startAllProviders();
}, 60_000);
afterEach(() => p.reset());
afterAll(async () => {
  await p.close();
});

type Wire = {
  apns: { headers: Record<string, unknown>; payload: Record<string, any> };
  fcm: Record<string, any>;
  expo: Record<string, any>;
  onesignal: Record<string, any>;
};

/** Sends `message` to a fresh user with one token of each provider; answers what each provider received. */
async function sendAndCapture(message: object): Promise<Wire> {
  const user = `fields-${Math.random().toString(36).slice(2)}`;
  await p.register(user);
  const report = (await apiClient(p.t.app, KEY_A).send({ to: { user_id: user }, ...message }).expect(200)).body;
  expect(report.summary).toMatchObject({ delivered: 4 });
  expect(p.apns.received).toHaveLength(1);
  expect(p.fcm.received).toHaveLength(1);
  expect(p.expo.sends).toHaveLength(1);
  expect(p.onesignal.received).toHaveLength(1);
  return {
    apns: { headers: p.apns.received[0]!.headers as Record<string, unknown>, payload: p.apns.received[0]!.payload as Record<string, any> },
    fcm: p.fcm.received[0]!.message,
    expo: p.expo.sends[0]!.messages[0]!,
    onesignal: p.onesignal.received[0]!.body,
  };
}

it('a rich push: subtitle, image, category, thread, interruption level, relevance, Android block, nested data', async () => {
  const data = { order: { id: 42, items: ['a', 'b'] }, promo: true, note: 'plain' };
  const wire = await sendAndCapture({
    content: { title: 'Your order', body: 'has shipped' },
    data,
    push: {
      subtitle: 'Order 42', image: 'https://cdn.example.com/parcel.png', category: 'ORDER', thread_id: 'orders',
      interruption_level: 'time-sensitive', relevance_score: 0.8, badge: 3, sound: 'chime.caf',
      android: { channel_id: 'orders', icon: 'ic_parcel', color: '#FF8800', tag: 'order-42', click_action: 'OPEN_ORDER' },
    },
  });

  // APNs: the alert, every aps key, the image where an extension reads it, data beside aps.
  expect(wire.apns.headers['apns-push-type']).toBe('alert');
  expect(wire.apns.headers['apns-priority']).toBe('10');
  expect(wire.apns.payload).toEqual({
    aps: {
      alert: { title: 'Your order', subtitle: 'Order 42', body: 'has shipped' },
      badge: 3, sound: 'chime.caf', 'mutable-content': 1, category: 'ORDER', 'thread-id': 'orders',
      'interruption-level': 'time-sensitive', 'relevance-score': 0.8,
    },
    fcm_options: { image: 'https://cdn.example.com/parcel.png' },
    ...data,
  });

  // FCM: the wire message firebase-admin wrote; data values are strings, non-strings JSON-encoded.
  expect(wire.fcm.notification).toEqual({ title: 'Your order', body: 'has shipped', image: 'https://cdn.example.com/parcel.png' });
  expect(wire.fcm.data).toEqual({ order: JSON.stringify(data.order), promo: 'true', note: 'plain' });
  expect(wire.fcm.android.notification).toEqual({ sound: 'chime.caf', channel_id: 'orders', icon: 'ic_parcel', color: '#FF8800', tag: 'order-42', click_action: 'OPEN_ORDER' });
  expect(wire.fcm.apns.payload.aps).toEqual({
    badge: 3, sound: 'chime.caf', 'mutable-content': 1, category: 'ORDER', 'thread-id': 'orders',
    'interruption-level': 'time-sensitive', 'relevance-score': 0.8, alert: { subtitle: 'Order 42' },
  });
  // firebase-admin sends the JSON names (fcmOptions); FCM takes them as it takes the proto names.
  expect(wire.fcm.apns.fcmOptions).toEqual({ image: 'https://cdn.example.com/parcel.png' });

  // Expo: its own names; no thread id, relevance, colour or tag (docs/providers.md).
  expect(wire.expo).toMatchObject({
    title: 'Your order', subtitle: 'Order 42', body: 'has shipped', data, badge: 3, sound: 'chime.caf',
    mutableContent: true, richContent: { image: 'https://cdn.example.com/parcel.png' }, categoryId: 'ORDER',
    interruptionLevel: 'time-sensitive', channelId: 'orders', icon: 'ic_parcel',
  });
  expect(wire.expo).not.toHaveProperty('_contentAvailable');

  // OneSignal.
  expect(wire.onesignal).toMatchObject({
    headings: { en: 'Your order' }, contents: { en: 'has shipped' }, subtitle: { en: 'Order 42' }, data,
    big_picture: 'https://cdn.example.com/parcel.png', ios_attachments: { image: 'https://cdn.example.com/parcel.png' },
    mutable_content: true, ios_category: 'ORDER', thread_id: 'orders', android_group: 'orders',
    ios_interruption_level: 'time-sensitive', ios_relevance_score: 0.8, ios_badgeType: 'SetTo', ios_badgeCount: 3,
    android_channel_id: 'orders', small_icon: 'ic_parcel', android_accent_color: 'FFFF8800',
  });
  expect(wire.onesignal).not.toHaveProperty('content_available');
});

it('a silent push carries no alert anywhere, and says it is a background push', async () => {
  const wire = await sendAndCapture({ data: { refresh: 'inbox' }, push: { content_available: true } });
  expect(wire.apns.headers['apns-push-type']).toBe('background');
  expect(wire.apns.headers['apns-priority']).toBe('5');
  expect(wire.apns.payload).toEqual({ aps: { 'content-available': 1 }, refresh: 'inbox' });

  expect(wire.fcm).not.toHaveProperty('notification');
  expect(wire.fcm.data).toEqual({ refresh: 'inbox' });
  expect(wire.fcm.android?.notification).toBeUndefined();
  expect(wire.fcm.apns.headers).toMatchObject({ 'apns-push-type': 'background', 'apns-priority': '5' });
  expect(wire.fcm.apns.payload.aps).toEqual({ 'content-available': 1 });

  expect(wire.expo).toEqual({ to: [expect.any(String)], data: { refresh: 'inbox' }, _contentAvailable: true });
  expect(wire.onesignal).toMatchObject({ content_available: true, data: { refresh: 'inbox' } });
  expect(wire.onesignal).not.toHaveProperty('contents');
  expect(wire.onesignal).not.toHaveProperty('headings');
});

it('content_available with content: an alert that also wakes the app', async () => {
  const wire = await sendAndCapture({ content: { title: 'New mail' }, push: { content_available: true } });
  expect(wire.apns.headers['apns-push-type']).toBe('alert');
  expect(wire.apns.payload.aps).toEqual({ alert: { title: 'New mail' }, 'content-available': 1 });
  expect(wire.fcm.notification).toEqual({ title: 'New mail' });
  expect(wire.fcm.apns.payload.aps).toEqual({ 'content-available': 1 });
  expect(wire.expo).toMatchObject({ title: 'New mail', _contentAvailable: true });
  expect(wire.onesignal).toMatchObject({ contents: { en: 'New mail' }, content_available: true });
});

it('localized keys: APNs and FCM (Android and APNs blocks); Expo and OneSignal have no counterpart', async () => {
  const wire = await sendAndCapture({
    push: { localization: { title_loc_key: 'ORDER_TITLE', title_loc_args: ['42'], loc_key: 'ORDER_BODY', loc_args: ['Anna', '3'] } },
  });
  expect(wire.apns.headers['apns-push-type']).toBe('alert');
  expect(wire.apns.payload.aps.alert).toEqual({ 'title-loc-key': 'ORDER_TITLE', 'title-loc-args': ['42'], 'loc-key': 'ORDER_BODY', 'loc-args': ['Anna', '3'] });
  expect(wire.fcm.android.notification).toEqual({ title_loc_key: 'ORDER_TITLE', title_loc_args: ['42'], body_loc_key: 'ORDER_BODY', body_loc_args: ['Anna', '3'] });
  expect(wire.fcm.apns.payload.aps.alert).toEqual({ 'title-loc-key': 'ORDER_TITLE', 'title-loc-args': ['42'], 'loc-key': 'ORDER_BODY', 'loc-args': ['Anna', '3'] });
  // Expo and OneSignal have no localized keys: for them there is nothing to show, so it wakes the app only.
  expect(wire.expo).toMatchObject({ _contentAvailable: true });
  expect(wire.expo).not.toHaveProperty('title');
  expect(wire.onesignal).toMatchObject({ content_available: true });
});

it('expiration: APNs gets apns-expiration, the others the TTL left until then', async () => {
  // The adapters of app credentials read the real clock: the TTL is what is left of the hour.
  const at = Date.now() + 3_600_000;
  const expiration = new Date(at).toISOString();
  const wire = await sendAndCapture({ content: { title: 'Sale ends' }, push: { expiration, priority: 'normal', collapse_key: 'sale' } });
  const ttl = (text: unknown) => Number(String(text).replace(/s$/, ''));
  expect(wire.apns.headers['apns-expiration']).toBe(String(Math.floor(at / 1000)));
  expect(wire.apns.headers['apns-priority']).toBe('5');
  expect(wire.apns.headers['apns-collapse-id']).toBe('sale');
  expect(wire.fcm.android).toMatchObject({ collapse_key: 'sale', priority: 'normal' });
  expect(ttl(wire.fcm.android.ttl)).toBeGreaterThan(3590);
  expect(ttl(wire.fcm.android.ttl)).toBeLessThanOrEqual(3600);
  expect(wire.fcm.apns.headers).toMatchObject({ 'apns-expiration': String(Math.floor(at / 1000)), 'apns-collapse-id': 'sale' });
  expect(wire.expo).toMatchObject({ priority: 'normal' });
  expect(wire.expo.ttl).toBeGreaterThan(3590);
  expect(wire.onesignal).toMatchObject({ priority: 5, collapse_id: 'sale' });
  expect(wire.onesignal.ttl).toBeGreaterThan(3590);
});

it('Courier’s provider overrides are merged into each request after the mapping: objects merge, arrays and scalars replace', async () => {
  const wire = await sendAndCapture({
    content: { title: 'Hi', body: 'there' },
    data: { keep: 'yes', list: [1, 2] },
    providers: {
      apn: { override: { headers: { 'apns-priority': '5', 'apns-collapse-id': 'c1' }, body: { aps: { sound: 'custom.caf' }, list: [9], extra: { deep: true } } } },
      'firebase-fcm': {
        override: {
          android: { priority: 'NORMAL', ttl: '60s', notification: { channel_id: 'promo', notification_priority: 'PRIORITY_LOW' } },
          data: { extra: 'x' },
          fcm_options: { analytics_label: 'promo' },
        },
        metadata: { tags: ['ignored'] },
      },
      expo: { override: { title: 'Expo title', data: { list: ['e'] } } },
      onesignal: { override: { headings: { en: 'OS heading', fr: 'Titre' }, web_url: 'https://example.com' } },
    },
  });
  expect(wire.apns.headers).toMatchObject({ 'apns-priority': '5', 'apns-collapse-id': 'c1' });
  expect(wire.apns.payload).toEqual({ aps: { alert: { title: 'Hi', body: 'there' }, sound: 'custom.caf' }, keep: 'yes', list: [9], extra: { deep: true } });

  expect(wire.fcm.android).toMatchObject({ priority: 'normal', ttl: '60s', notification: { channel_id: 'promo', notification_priority: 'PRIORITY_LOW' } });
  expect(wire.fcm.data).toEqual({ keep: 'yes', list: '[1,2]', extra: 'x' });
  expect(wire.fcm.fcmOptions).toEqual({ analyticsLabel: 'promo' });
  expect(wire.fcm.notification).toEqual({ title: 'Hi', body: 'there' });

  expect(wire.expo).toMatchObject({ title: 'Expo title', body: 'there', data: { keep: 'yes', list: ['e'] } });
  expect(wire.onesignal).toMatchObject({ headings: { en: 'OS heading', fr: 'Titre' }, contents: { en: 'there' }, web_url: 'https://example.com', app_id: p.onesignalApp });
});

it('a payload too big for one provider only is rejected for its tokens, with both sizes; the others are sent', async () => {
  const user = 'too-big-for-apns';
  const tokens = await p.register(user);
  const report = (await apiClient(p.t.app, KEY_A).send({ to: { user_id: user }, content: { title: 'x' }, providers: { apn: { override: { body: { blob: 'b'.repeat(5000) } } } } }).expect(200)).body;
  const apns = report.results.find((r: { token: string }) => r.token === tokens.apn);
  expect(apns).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^apns:PayloadTooLarge \(the payload is 50\d\d bytes; APNs takes at most 4096\)$/) });
  expect(report.summary).toMatchObject({ delivered: 3 });
  expect(p.apns.received).toHaveLength(0);
});
