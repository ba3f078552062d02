import webpush from 'web-push';
import { generateVapidKeys, vapidProblems } from '../../src/providers/webpush-vapid';
import { buildWebPushRequest, webPushEncryptedBytes, type WebPushRequest } from '../../src/providers/webpush-payload';
import type { Notification } from '../../src/providers/provider';
import { createECDH, randomBytes } from 'node:crypto';

const NOW = new Date('2026-11-28T12:00:00Z');

/** Each row: a notification, and the Web Push request it maps to (docs/providers.md's field table, Web Push column). */
describe('buildWebPushRequest', () => {
  it.each<[string, Notification, Partial<WebPushRequest>]>([
    ['title and body', { title: 'T', body: 'B' }, { payload: { title: 'T', body: 'B' }, ttl: 28 * 24 * 3600, urgency: 'normal' }],
    ['data, any JSON, as it is', { title: 'T', data: { n: 1, nested: { a: [true] } } }, { payload: { title: 'T', data: { n: 1, nested: { a: [true] } } } }],
    ['image', { title: 'T', image: 'https://x.example/i.png' }, { payload: { title: 'T', image: 'https://x.example/i.png' } }],
    ['collapse key: the Topic header and the tag', { title: 'T', collapseKey: 'score' }, { payload: { title: 'T', tag: 'score' }, topic: 'score' }],
    ['android.tag wins the tag; the Topic stays the collapse key', { title: 'T', collapseKey: 'score', android: { tag: 'match-1' } }, { payload: { title: 'T', tag: 'match-1' }, topic: 'score' }],
    ['ttl', { title: 'T', ttlSeconds: 60 }, { ttl: 60 }],
    ['ttl 0: now or never', { title: 'T', ttlSeconds: 0 }, { ttl: 0 }],
    ['expiration: what is left of it', { title: 'T', expiration: new Date('2026-11-28T13:00:00Z') }, { ttl: 3600 }],
    ['an expiration in the past: 0', { title: 'T', expiration: new Date('2026-11-28T11:00:00Z') }, { ttl: 0 }],
    ['priority high: Urgency high', { title: 'T', priority: 'high' }, { urgency: 'high' }],
    ['priority normal: Urgency normal', { title: 'T', priority: 'normal' }, { urgency: 'normal' }],
    ['a silent push: data only, Urgency low', { data: { sync: 1 }, contentAvailable: true }, { payload: { data: { sync: 1 } }, urgency: 'low' }],
    ['content_available with content: shown, Urgency normal', { title: 'T', contentAvailable: true }, { payload: { title: 'T' }, urgency: 'normal' }],
    ['subtitle, badge count, sound, category, thread, interruption level, relevance, localization: not mapped', { title: 'T', subtitle: 's', badge: 3, sound: 'x', category: 'c', threadId: 't', interruptionLevel: 'critical', relevanceScore: 1, localization: { locKey: 'k' } }, { payload: { title: 'T' } }],
    ['the override merges last: objects merge, the rest replaces', { title: 'T', data: { a: 1 }, overrides: { webpush: { title: 'U', data: { b: 2 }, actions: [{ action: 'x', title: 'X' }], icon: 'https://x.example/i.png' } } }, { payload: { title: 'U', data: { a: 1, b: 2 }, actions: [{ action: 'x', title: 'X' }], icon: 'https://x.example/i.png' } }],
  ])('%s', (_name, notification, expected) => {
    expect(buildWebPushRequest(notification, NOW)).toMatchObject(expected);
    if (expected.payload) expect(buildWebPushRequest(notification, NOW).payload).toEqual(expected.payload);
  });

  it('counts the bytes as web-push encrypts them (aes128gcm, one record)', () => {
    const browser = createECDH('prime256v1');
    browser.generateKeys();
    const subscription = { endpoint: 'https://fcm.googleapis.com/fcm/send/x', keys: { p256dh: browser.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } };
    for (const size of [0, 1, 100, 1000, 3993]) {
      const payload = { title: 'T', data: { blob: 'é'.repeat(size / 2) + 'x'.repeat(size % 2) } };
      const details = webpush.generateRequestDetails(subscription, JSON.stringify(payload), { contentEncoding: 'aes128gcm' });
      expect(webPushEncryptedBytes(payload)).toBe(details.headers['Content-Length']);
    }
  });
});

describe('vapidProblems', () => {
  const pair = generateVapidKeys();
  const other = generateVapidKeys();
  it.each<[string, { publicKey: string; privateKey: string; subject: string }, string[]]>([
    ['a generated pair', { ...pair, subject: 'mailto:ops@example.com' }, []],
    ['an https subject', { ...pair, subject: 'https://example.com/contact' }, []],
    ['another subject', { ...pair, subject: 'ops@example.com' }, ['subject']],
    ['a public key of another pair', { publicKey: other.publicKey, privateKey: pair.privateKey, subject: 'mailto:a@b.c' }, ['publicKey']],
    ['a short public key', { publicKey: pair.publicKey.slice(0, 40), privateKey: pair.privateKey, subject: 'mailto:a@b.c' }, ['publicKey']],
    ['a private key that is not base64url', { publicKey: pair.publicKey, privateKey: 'not/base64+', subject: 'mailto:a@b.c' }, ['privateKey']],
    ['a 31-byte private key', { publicKey: pair.publicKey, privateKey: Buffer.alloc(31, 1).toString('base64url'), subject: 'mailto:a@b.c' }, ['privateKey']],
  ])('%s', (_name, keys, fields) => {
    const problems = vapidProblems(keys);
    expect(problems.map((p) => p.field)).toEqual(fields);
    expect(JSON.stringify(problems)).not.toContain(keys.privateKey);
  });
});
