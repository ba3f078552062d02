import request from 'supertest';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';
import { startRestartableMongo, type RestartableMongo } from '../support/restartable-mongo';

/**
 * MongoDB stops under the service and comes back: requests fail fast with 503 (not after
 * mongoose's 10 s buffering or the driver's 30 s server selection), /readyz says why, and the
 * service recovers by itself. The service runs with its default MONGODB_TIMEOUT of 1.5 s.
 */
let mongo: RestartableMongo;
let t: TestApp;
beforeAll(async () => {
  mongo = await startRestartableMongo();
  t = await createTestApp({ mongo: { uri: mongo.uri, timeoutMs: 1_500 } });
}, 60_000);
afterAll(async () => {
  await t.close();
  await mongo.close();
});

const put = (token: string) => request(t.app).put(`/users/outage/tokens/${token}`).set(bearer(KEY_A)).send({ provider_key: 'apn' });

it('When MongoDB goes down and comes back, then requests answer 503 fast and the service recovers without a restart', async () => {
  await put('before-outage').expect(204);
  await request(t.app).get('/readyz').expect(200);

  await mongo.stop();
  const timings: number[] = [];
  for (const attempt of [1, 2, 3]) {
    const started = Date.now();
    const res = await put(`during-outage-${attempt}`);
    timings.push(Date.now() - started);
    expect(res.status).toBe(503);
    expect(res.body.type).toBe('service_unavailable_error');
    expect(res.headers['retry-after']).toBe('2');
  }
  const list = await request(t.app).get('/users/outage/tokens').set(bearer(KEY_A));
  expect(list.status).toBe(503);
  const ready = await request(t.app).get('/readyz').expect(503);
  expect(ready.body).toMatchObject({ status: 'unavailable', checks: { mongodb: 'down' }, reason: 'mongodb is unreachable' });
  // Not a speed benchmark: a bound far above MONGODB_TIMEOUT that 10 s buffering or 30 s
  // server selection could never meet. The measured figures are in the issue notes.
  for (const ms of timings) expect(ms).toBeLessThan(5_000);
  process.stdout.write(`503 latencies during the outage (ms): ${timings.join(', ')}\n`);

  await mongo.start();
  let recovered = false;
  for (let i = 0; i < 60 && !recovered; i++) {
    recovered = (await put('after-outage')).status === 204;
    if (!recovered) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(recovered).toBe(true);
  await request(t.app).get('/readyz').expect(200);
  const after = await request(t.app).get('/users/outage/tokens').set(bearer(KEY_A)).expect(200);
  expect(after.body.tokens.map((x: { token: string }) => x.token)).toEqual(['before-outage', 'after-outage']);
}, 60_000);
