import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '../../src/logger';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';
import { startRestartableMongo, type RestartableMongo } from '../support/restartable-mongo';

/**
 * MongoDB stopped under load: a steady stream of writes and reads keeps going while the
 * database stops and starts again. Every answer is a success or a fast 503, never another 5xx,
 * and the service recovers without a restart. (Dropped provider connections and SIGTERM with 200
 * requests in flight are in test/sender/send-end-to-end.test.ts and test/ops/graceful-shutdown.test.ts.)
 */
const errors: string[] = [];
const capture = new Writable({
  write(chunk, _encoding, done) {
    errors.push(String(chunk));
    done();
  },
});
let mongo: RestartableMongo;
let t: TestApp;
beforeAll(async () => {
  mongo = await startRestartableMongo();
  t = await createTestApp({ mongo: { uri: mongo.uri, timeoutMs: 1_500 }, logger: createLogger('error', capture) });
}, 60_000);
afterAll(async () => {
  await t.close();
  await mongo.close();
});

it('When MongoDB stops and restarts under load, then answers are 2xx or fast 503s only, and the service recovers', async () => {
  const statuses = new Map<number, number>();
  let slowest503 = 0;
  let running = true;
  let n = 0;
  const worker = async () => {
    while (running) {
      const i = n++;
      const started = Date.now();
      const res =
        i % 3 === 2
          ? await request(t.app).get('/users/load/tokens?limit=5').set(bearer(KEY_A))
          : await request(t.app).put(`/users/load/tokens/load-${i}`).set(bearer(KEY_A)).send({ provider_key: 'apn' });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 503) slowest503 = Math.max(slowest503, Date.now() - started);
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await new Promise((r) => setTimeout(r, 1_000));
  await mongo.stop();
  await new Promise((r) => setTimeout(r, 3_000));
  await mongo.start();
  // Keep the load on until writes succeed again, for at most 20 s.
  const restartedAt = Date.now();
  let recovered = false;
  while (!recovered && Date.now() - restartedAt < 20_000) {
    await new Promise((r) => setTimeout(r, 250));
    recovered = (await request(t.app).put('/users/load/tokens/probe').set(bearer(KEY_A)).send({ provider_key: 'apn' })).status === 204;
  }
  await new Promise((r) => setTimeout(r, 500));
  running = false;
  await Promise.all(workers);

  const summary = Object.fromEntries(statuses);
  process.stdout.write(`statuses under the outage: ${JSON.stringify(summary)}; slowest 503: ${slowest503} ms; recovered ${recovered ? `${Date.now() - restartedAt} ms after restart` : 'never'}\n`);
  expect(recovered).toBe(true);
  expect(errors.filter((line) => line.includes('unhandled error'))).toEqual([]);
  expect(Object.keys(summary).map(Number).sort()).toEqual([200, 204, 503]);
  // Far above MONGODB_TIMEOUT (1.5 s), far below the 10 s / 30 s defaults this guards against.
  expect(slowest503).toBeLessThan(5_000);
  await request(t.app).get('/readyz').expect(200);
}, 60_000);
