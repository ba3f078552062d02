import request from 'supertest';
import { MAX_READ_EVENTS } from '../../../src/messages/message-document';
import { bearer, createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../../support/test-app';
import { startSimulatedProviders, type SimulatedProviders } from '../../support/simulated-providers';
import { apnsToken } from '../../support/tokens';

/**
 * Round three, finding 5: /t/… takes no key and had no rate limit, and after 600 READ events a
 * CLICKED changed the status but left no history entry: the history's cap counted every event
 * alike. READ and UNREAD now have a bound of their own, and /t/ a per-address limit
 * (TRACKING_PER_MINUTE).
 */
let sims: SimulatedProviders;
let t: TestApp;
beforeAll(async () => {
  sims = await startSimulatedProviders();
  t = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, messages: { publicUrl: new URL('https://push.example.com/') }, trackingPerMinute: 700 });
});
afterAll(async () => {
  await t.close();
  await sims.close();
});

async function trackedMessage(user: string, n: number): Promise<{ id: string; path: string }> {
  await request(t.app).put(`/users/${user}/tokens/${apnsToken(n)}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
  const { requestId } = (await request(t.app).post('/send').set(bearer(KEY_A)).send({ message: { to: { user_id: user }, content: { title: 'Hi' } } }).expect(200)).body;
  const url = (sims.apns.received.find((r) => r.token === apnsToken(n))!.payload as { trackingUrl: string }).trackingUrl;
  return { id: requestId, path: new URL(url).pathname };
}

it('600 READ posts then a CLICKED: the click is in the history, and READ keeps at most its own bound', async () => {
  const { id, path } = await trackedMessage('reader', 61);
  for (let i = 0; i < 600; i++) await request(t.app).post(path).send({ event: 'READ' }).expect(204);
  await request(t.app).post(path).send({ event: 'CLICKED' }).expect(204);
  const message = (await request(t.app).get(`/messages/${id}`).set(bearer(KEY_A)).expect(200)).body;
  expect(message.status).toBe('CLICKED');
  const history = (await request(t.app).get(`/messages/${id}/history`).set(bearer(KEY_A)).expect(200)).body.results as { type: string }[];
  expect(history.filter((e) => e.type === 'CLICKED')).toHaveLength(1);
  expect(history.filter((e) => e.type === 'READ')).toHaveLength(MAX_READ_EVENTS);
}, 60_000);

it('past TRACKING_PER_MINUTE from one address, /t/ answers 429 with Retry-After', async () => {
  const { path } = await trackedMessage('flooder', 62);
  let res = await request(t.app).post(path).send({ event: 'READ' });
  let sent = 1;
  // The first test used 601 of this address's 700 this minute.
  while (res.status === 204 && sent < 800) {
    res = await request(t.app).post(path).send({ event: 'READ' });
    sent++;
  }
  expect(res.status).toBe(429);
  expect(res.body.message).toContain('TRACKING_PER_MINUTE');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(sent).toBeLessThanOrEqual(700);
});
