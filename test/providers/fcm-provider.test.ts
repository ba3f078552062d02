import { readFileSync } from 'node:fs';
import { FcmProvider } from '../../src/providers/fcm-provider';
import { makeTestCredentials } from '../simulators/credentials';
import { FcmSimulator } from '../simulators/fcm-simulator';

const creds = makeTestCredentials();
let sim: FcmSimulator;
let provider: FcmProvider;
const token = (n: number) => `fcm-${n}:APA91b${'x'.repeat(20)}-_${n}`;

beforeAll(async () => {
  sim = await FcmSimulator.start({ ...creds.fcm });
  provider = new FcmProvider({
    serviceAccount: JSON.parse(readFileSync(creds.fcm.serviceAccountFile, 'utf8')),
    endpoint: new URL(sim.url),
    concurrentBatches: 2,
    // The production default: a batch's deadline is not what these tests measure, and a short
    // one made the 1,200-token test fail on a loaded machine (found under --detectOpenHandles).
    batchTimeoutMs: 60_000,
  });
});
afterEach(() => sim.reset());
afterAll(async () => {
  await provider.close();
  await sim.close();
});

describe('FcmProvider against the FCM simulator (real firebase-admin, OAuth exchange + HTTP/2 sends)', () => {
  it('When FCM accepts, then the result is delivered, after a real OAuth exchange, over HTTP/2', async () => {
    const results = await provider.send({ title: 'Hi', body: 'there', data: { order: '42' }, priority: 'high', ttlSeconds: 60 }, [token(1)]);
    expect(results).toEqual([{ token: token(1), outcome: 'delivered', providerId: expect.stringMatching(/^projects\/.+\/messages\//) }]);
    expect(sim.oauthExchanges).toBeGreaterThanOrEqual(1);
    const record = sim.received[0]!;
    expect(record.httpVersion).toBe('2.0');
    expect(record.message).toMatchObject({
      token: token(1),
      notification: { title: 'Hi', body: 'there' },
      data: { order: '42' },
      android: { priority: 'high', ttl: '60s' },
    });
  });

  it.each([
    [{ errorCode: 'UNREGISTERED' }, { outcome: 'invalid', reason: 'fcm:UNREGISTERED' }],
    [{ errorCode: 'INVALID_ARGUMENT' }, { outcome: 'invalid', reason: 'fcm:INVALID_ARGUMENT' }],
    [{ errorCode: 'INVALID_ARGUMENT', message: 'Invalid JSON payload received. Unknown name "colour"' }, { outcome: 'rejected', reason: 'fcm:INVALID_ARGUMENT' }],
    [{ errorCode: 'SENDER_ID_MISMATCH' }, { outcome: 'rejected', reason: 'fcm:SENDER_ID_MISMATCH' }],
    [{ errorCode: 'QUOTA_EXCEEDED' }, { outcome: 'retryable', reason: 'fcm:QUOTA_EXCEEDED' }],
    [{ errorCode: 'INTERNAL' }, { outcome: 'retryable', reason: 'fcm:INTERNAL' }],
    [{ errorCode: 'THIRD_PARTY_AUTH_ERROR' }, { outcome: 'rejected', reason: 'fcm:THIRD_PARTY_AUTH_ERROR' }],
  ])('When the simulator answers %j, then the result is %j', async (answer, expected) => {
    sim.stage(token(2), answer as never);
    const [result] = await provider.send({ title: 't' }, [token(2)]);
    expect(result).toMatchObject(expected);
  });

  it('When 1,200 tokens go out, then they go in sendEach batches of at most 500, each on its own HTTP/2 session', async () => {
    const tokens = Array.from({ length: 1200 }, (_, i) => token(10_000 + i));
    const results = await provider.send({ body: 'b' }, tokens);
    expect(results).toHaveLength(1200);
    expect(results.every((r, i) => r.outcome === 'delivered' && r.token === tokens[i])).toBe(true);
    expect(sim.counters.requests).toBe(1200);
    // firebase-admin opens one session per sendEach call: ceil(1200 / 500) = 3.
    expect(sim.counters.sessions).toBe(3);
    // The simulator advertises 100 streams, as Google does; the SDK respects it.
    expect(sim.counters.maxInFlight).toBeLessThanOrEqual(2 * 100);
  });

  it('When the connection drops mid-batch, then unanswered tokens are retryable, never invalid', async () => {
    const tokens = Array.from({ length: 20 }, (_, i) => token(20_000 + i));
    for (const t of tokens) sim.stage(t, { delayMs: 30, then: { ok: true } });
    sim.stage(tokens[0]!, { drop: true });
    // firebase-admin waits forever on a dropped session; the batch deadline is what answers, so keep it short here.
    const dropping = new FcmProvider({ serviceAccount: JSON.parse(readFileSync(creds.fcm.serviceAccountFile, 'utf8')), endpoint: new URL(sim.url), concurrentBatches: 2, batchTimeoutMs: 1500 });
    const results = await dropping.send({ body: 'b' }, tokens).finally(() => dropping.close());
    expect(results).toHaveLength(20);
    expect(results.some((r) => r.outcome === 'retryable')).toBe(true);
    expect(results.every((r) => r.outcome === 'retryable' || r.outcome === 'delivered')).toBe(true);
  });
});
