import request from 'supertest';
import { startAllProviders, type AllProviders } from '../support/all-providers';
import { bearer, KEY_A, KEY_B } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * Broadcasts end to end (issue 30), through the five simulators and the real SDKs: a list, a
 * pattern and an audience each reach exactly their members' tokens, once; non-members and
 * unsubscribed users get nothing; the message shows its progress and lists its failures.
 * Chunks are small (10 tokens) so every send here is several chunks.
 */
let all: AllProviders;
beforeAll(async () => {
  all = await startAllProviders({ broadcast: { chunkSize: 10, intervalMs: 20, leaseMs: 5_000 } });
  all.t.broadcastWorker.start();
}, 60_000);
afterAll(async () => {
  await all.close();
});
beforeEach(() => all.reset());

const api = (method: 'get' | 'put' | 'post' | 'delete', path: string, key = KEY_A) => request(all.t.app)[method](path).set(bearer(key));

/** Every token each provider received, as one list of (provider, token). */
function received(): string[] {
  return [
    ...all.apns.received.map((r) => `apn:${r.token}`),
    ...all.fcm.received.map((r) => `firebase-fcm:${r.token}`),
    ...all.expo.sends.flatMap((s) => s.recipients.map((token) => `expo:${token}`)),
    ...all.onesignal.received.flatMap((r) => r.ids.map((id) => `onesignal:${id}`)),
    ...all.webpush.received.map((r) => `webpush:${r.endpoint}`),
  ];
}

async function finished(requestId: string): Promise<Record<string, unknown>> {
  let body: Record<string, unknown> = {};
  await waitFor(async () => {
    body = (await api('get', `/messages/${requestId}`).expect(200)).body;
    return body.status !== 'ENQUEUED' && body.status !== 'DELAYED';
  }, 'the broadcast to finish');
  return body;
}

const tokensOf = (user: Record<string, string>) => Object.entries(user).map(([provider, token]) => `${provider}:${token}`);

it('a list send reaches each subscriber’s tokens exactly once, and no one else’s', async () => {
  const members: Record<string, string>[] = [];
  for (let i = 0; i < 6; i++) members.push(await all.register(`fan-${i}`));
  const outsider = await all.register('not-a-fan');
  const leaver = await all.register('left-the-list');
  await api('put', '/lists/sports.football.arsenal').send({ name: 'Arsenal' }).expect(204);
  await api('post', '/lists/sports.football.arsenal/subscriptions').send({ recipients: [...members.map((_, i) => ({ recipientId: `fan-${i}` })), { recipientId: 'left-the-list' }] }).expect(204);
  await api('delete', '/lists/sports.football.arsenal/subscriptions/left-the-list').expect(204);

  const sent = await api('post', '/send').send({ message: { to: { list_id: 'sports.football.arsenal' }, content: { title: 'Goal!' } } }).expect(202);
  const message = await finished(sent.body.requestId);

  const expected = members.flatMap(tokensOf).sort();
  expect(received().sort()).toEqual(expected);
  for (const token of [...tokensOf(outsider), ...tokensOf(leaver)]) expect(received()).not.toContain(token);
  expect(message).toMatchObject({ status: 'SENT', recipient: 'sports.football.arsenal', progress: { running: false, total: 24, sent: 24, delivered: 24, invalidated: 0, possibly_duplicated: 0 } });
  expect((message.progress as { chunks: { planned: number } }).chunks.planned).toBeGreaterThan(0);
});

it('a message that has its outcome is not running, even read between that write and the broadcast’s own `done`', async () => {
  await all.register('between-1');
  await api('put', '/lists/between').send({ name: 'Between' }).expect(204);
  await api('post', '/lists/between/subscriptions').send({ recipients: [{ recipientId: 'between-1' }] }).expect(204);
  const sent = await api('post', '/send').send({ message: { to: { list_id: 'between' }, content: { title: 'x' } } }).expect(202);
  await finished(sent.body.requestId);
  // The worker writes the message's outcome, then marks the broadcast done (broadcast-worker.ts): this is the moment between.
  await all.t.broadcastStore.broadcasts.updateOne({ _id: sent.body.requestId }, { $set: { status: 'running' } });
  const between = (await api('get', `/messages/${sent.body.requestId}`).expect(200)).body;
  expect(between).toMatchObject({ status: 'SENT', progress: { running: false } });
});

it('a pattern reaches every list it matches, and a user on two of them once', async () => {
  const a = await all.register('pattern-a');
  const b = await all.register('pattern-b');
  const both = await all.register('pattern-both');
  const elsewhere = await all.register('pattern-elsewhere');
  await api('put', '/lists/news.sports.daily/subscriptions/pattern-a').expect(204);
  await api('put', '/lists/news.weather.daily/subscriptions/pattern-b').expect(204);
  await api('post', '/lists/news.sports.daily/subscriptions').send({ recipients: [{ recipientId: 'pattern-both' }] }).expect(204);
  await api('post', '/lists/news.weather.daily/subscriptions').send({ recipients: [{ recipientId: 'pattern-both' }] }).expect(204);
  // Another segment count, and another pattern: not matched by news.*.daily.
  await api('put', '/lists/news.sports.daily.extra/subscriptions/pattern-elsewhere').expect(204);

  const sent = await api('post', '/send').send({ message: { to: { list_pattern: 'news.*.daily' }, content: { title: 'Morning' } } }).expect(202);
  await finished(sent.body.requestId);
  expect(received().sort()).toEqual([...tokensOf(a), ...tokensOf(b), ...tokensOf(both)].sort());
  for (const token of tokensOf(elsewhere)) expect(received()).not.toContain(token);
});

it('an audience send reaches exactly the matching devices, and lists the tokens that failed', async () => {
  const users = [await all.register('aud-1'), await all.register('aud-2')];
  // An Android device on OS 13, one on OS 9, and one of another app.
  const android13 = 'android-13:APA91b-aaaaaaaaaaaa';
  const android9 = 'android-9:APA91b-bbbbbbbbbbbb';
  const otherApp = 'android-other:APA91b-cccccccccccc';
  const put = (user: string, token: string, body: object) => api('put', `/users/${user}/tokens/${encodeURIComponent(token)}`).send(body).expect(204);
  await put('aud-1', android13, { provider_key: 'firebase-fcm', device: { app_id: all.app, platform: 'android' }, tracking: { os_version: '13' } });
  await put('aud-2', android9, { provider_key: 'firebase-fcm', device: { app_id: all.app, platform: 'android' }, tracking: { os_version: '9' } });
  await put('aud-2', otherApp, { provider_key: 'firebase-fcm', device: { app_id: 'com.example.other', platform: 'android' }, tracking: { os_version: '14' } });
  const dead = 'android-dead:APA91b-dddddddddddd';
  await put('aud-1', dead, { provider_key: 'firebase-fcm', device: { app_id: all.app, platform: 'android' }, tracking: { os_version: '14.1' } });
  all.fcm.stage(dead, { errorCode: 'UNREGISTERED' });

  await api('put', '/audiences/android-13-plus')
    .send({
      name: 'Android 13+',
      filter: {
        filters: [
          { operator: 'EQ', path: 'device.platform', value: 'android' },
          { operator: 'EQ', path: 'device.app_id', value: all.app },
          { operator: 'GTE', path: 'tracking.os_version', value: '13' },
        ],
      },
      operator: 'AND',
    })
    .expect(200);
  const members = await api('get', '/audiences/android-13-plus/members').expect(200);
  expect(members.body.items.map((m: { member_id: string }) => m.member_id).sort()).toEqual(['aud-1', 'aud-1']);

  const sent = await api('post', '/send').send({ message: { to: { audience_id: 'android-13-plus' }, content: { title: 'New' } } }).expect(202);
  const message = await finished(sent.body.requestId);
  expect(received().sort()).toEqual([`firebase-fcm:${android13}`, `firebase-fcm:${dead}`].sort());
  expect(message).toMatchObject({ status: 'SENT', progress: { total: 2, delivered: 1, invalidated: 1 } });
  expect(users).toHaveLength(2);

  const failures = await api('get', `/messages/${sent.body.requestId}/failures`).expect(200);
  expect(failures.body.results).toEqual([expect.objectContaining({ token: dead, user_id: 'aud-1', provider_key: 'firebase-fcm', outcome: 'invalid', code: 'fcm:UNREGISTERED' })]);
  // The dead token was invalidated, once.
  expect((await api('get', `/users/aud-1/tokens/${encodeURIComponent(dead)}`).expect(200)).body.status).toBe('failed');
});

it('another workspace’s list or audience is a 404, to read and to send', async () => {
  await api('put', '/lists/private.list').send({ name: 'Private' }).expect(204);
  await api('put', '/audiences/private-audience').send({ name: 'Private' }).expect(200);
  await api('get', '/lists/private.list', KEY_B).expect(404);
  await api('get', '/audiences/private-audience', KEY_B).expect(404);
  await api('post', '/send', KEY_B).send({ message: { to: { list_id: 'private.list' } } }).expect(404);
  await api('post', '/send', KEY_B).send({ message: { to: { audience_id: 'private-audience' } } }).expect(404);
});
