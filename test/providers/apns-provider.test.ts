import { ApnsProvider } from '../../src/providers/apns-provider';
import { ApnsSimulator } from '../simulators/apns-simulator';
import { makeTestCredentials } from '../simulators/credentials';
import { readFileSync } from 'node:fs';

const creds = makeTestCredentials();
let sim: ApnsSimulator;
let provider: ApnsProvider;
const token = (n: number) => n.toString(16).padStart(64, '0');

beforeAll(async () => {
  sim = await ApnsSimulator.start({ ...creds.apns, maxConcurrentStreams: 1000 });
  provider = new ApnsProvider({
    signingKey: readFileSync(creds.apns.keyFile, 'utf8'),
    keyId: creds.apns.keyId,
    teamId: creds.apns.teamId,
    topic: creds.apns.topic,
    production: false,
    endpoint: new URL(sim.url),
    maxInFlight: 25,
  });
});
afterEach(() => sim.reset());
afterAll(async () => {
  await provider.close();
  await sim.close();
});

describe('ApnsProvider against the APNs simulator (real @parse/node-apn, real HTTP/2 + TLS)', () => {
  it('When Apple accepts, then the result is delivered and the request carries topic, push type and JWT', async () => {
    const results = await provider.send({ title: 'Hi', body: 'there', data: { order: '42' }, badge: 3 }, [token(1)]);
    expect(results).toEqual([{ token: token(1), outcome: 'delivered', providerId: expect.any(String) }]);
    const request = sim.received[0]!;
    expect(request.headers['apns-topic']).toBe(creds.apns.topic);
    expect(request.headers['apns-push-type']).toBe('alert');
    expect(request.payload).toEqual({ order: '42', aps: { alert: { title: 'Hi', body: 'there' }, badge: 3 } });
  });

  it.each([
    [{ status: 410, reason: 'Unregistered', timestamp: 1_700_000_000_000 }, { outcome: 'invalid', reason: 'apns:Unregistered', invalidSince: new Date(1_700_000_000_000) }],
    [{ status: 400, reason: 'BadDeviceToken' }, { outcome: 'invalid', reason: 'apns:BadDeviceToken' }],
    [{ status: 400, reason: 'DeviceTokenNotForTopic' }, { outcome: 'rejected', reason: 'apns:DeviceTokenNotForTopic' }],
    [{ status: 400, reason: 'BadCollapseId' }, { outcome: 'rejected', reason: 'apns:BadCollapseId' }],
    [{ status: 403, reason: 'InvalidProviderToken' }, { outcome: 'rejected', reason: 'apns:InvalidProviderToken' }],
    [{ status: 429, reason: 'TooManyRequests' }, { outcome: 'retryable', reason: 'apns:TooManyRequests' }],
    [{ status: 500, reason: 'InternalServerError' }, { outcome: 'retryable' }],
    [{ status: 503, reason: 'ServiceUnavailable' }, { outcome: 'retryable', reason: 'apns:ServiceUnavailable' }],
  ])('When the simulator answers %j, then the result is %j, after one attempt', async (answer, expected) => {
    sim.stage(token(2), answer);
    const [result] = await provider.send({ title: 't' }, [token(2)]);
    expect(result).toMatchObject(expected);
    expect(sim.attempts(token(2))).toBe(1); // node-apn's own retries are off; the sender owns retrying
  });

  it('When 300 tokens go out with a cap of 25, then never more than 25 are in flight', async () => {
    const tokens = Array.from({ length: 300 }, (_, i) => token(1000 + i));
    for (const t of tokens) sim.stage(t, { delayMs: 5, then: { status: 200 } });
    const results = await provider.send({ body: 'b' }, tokens);
    expect(results.every((r) => r.outcome === 'delivered')).toBe(true);
    expect(sim.counters.maxInFlight).toBeLessThanOrEqual(25);
    expect(sim.counters.maxInFlight).toBeGreaterThan(1);
  });

  it('When the connection drops mid-send, then the affected tokens are retryable, never invalid', async () => {
    const tokens = Array.from({ length: 10 }, (_, i) => token(5000 + i));
    for (const t of tokens) sim.stage(t, { delayMs: 30, then: { status: 200 } });
    sim.stage(tokens[0]!, { drop: true });
    const results = await provider.send({ body: 'b' }, tokens);
    expect(results.some((r) => r.outcome === 'retryable')).toBe(true);
    expect(results.every((r) => r.outcome === 'retryable' || r.outcome === 'delivered')).toBe(true);
  });

  it('When a token is not hexadecimal, then it is rejected without being sent (node-apn would mangle it)', async () => {
    const [result] = await provider.send({ body: 'b' }, ['not-hex:token']);
    expect(result).toMatchObject({ outcome: 'rejected' });
    expect(sim.counters.requests).toBe(0);
  });
});
