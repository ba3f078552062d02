import { buildApnsRequest } from '../../src/providers/apns-payload';
import { buildFcmMessage } from '../../src/providers/fcm-payload';
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
