import { ExpoProvider, splitByProject } from '../../src/providers/expo-provider';
import { ExpoSimulator } from '../simulators/expo-simulator';

/** The real adapter and expo-server-sdk against the Expo simulator: limits, splitting, auth and the one-request rule. */
let sim: ExpoSimulator;
let expo: ExpoProvider;
beforeAll(async () => {
  sim = await ExpoSimulator.start();
  expo = new ExpoProvider({ baseUrl: new URL(sim.url) });
});
afterEach(() => sim.reset());
afterAll(async () => {
  await expo.close();
  await sim.close();
});

const tokens = (n: number, prefix = 'p') => Array.from({ length: n }, (_, i) => `ExponentPushToken[${prefix}${i}xxxxxxxxxxxxxxxxx]`);

it('sends ≤ 100 recipients a request and answers one result per token with its receipt id', async () => {
  const list = tokens(250);
  const results = await expo.send({ title: 'T', body: 'B', data: { a: '1' } }, list);
  expect(results.map((r) => r.token)).toEqual(list);
  expect(results.every((r) => r.outcome === 'delivered' && typeof r.receiptId === 'string')).toBe(true);
  expect(sim.sends.map((s) => s.recipients.length).sort((a, b) => b - a)).toEqual([100, 100, 50]);
  expect(results[7]!.receiptId).toBe(sim.receiptIdsOf(list[7]!)[0]);
  // Bodies over 1 KB go gzipped, as the SDK does; the simulator reads them.
  expect(sim.sends.some((s) => s.gzip)).toBe(true);
  expect(sim.sends[0]!.messages[0]).toMatchObject({ title: 'T', body: 'B', data: { a: '1' } });
});

it('a 429 is one request per attempt (the SDK does not retry it) and carries no guess at a Retry-After', async () => {
  sim.stageRequests({ status: 429 });
  const [result] = await expo.send({ body: 'x' }, tokens(1));
  expect(result).toMatchObject({ outcome: 'retryable', reason: 'expo:TOO_MANY_REQUESTS' });
  expect(sim.sends).toHaveLength(1);
});

it('a 5xx with an HTML body, a connection reset and a wrong ticket count are retryable for the whole chunk', async () => {
  sim.stageRequests({ status: 502, html: true });
  expect(await expo.send({ body: 'x' }, tokens(2))).toEqual(tokens(2).map((token) => ({ token, outcome: 'retryable', reason: 'expo:http_502' })));
  sim.stageRequests({ reset: true });
  expect((await expo.send({ body: 'x' }, tokens(2))).every((r) => r.outcome === 'retryable' && /^expo:(ECONNRESET|UND_ERR_SOCKET)$/.test(r.reason!))).toBe(true);
  sim.stageRequests({ wrongTicketCount: true });
  const mismatch = await expo.send({ body: 'x' }, tokens(3));
  expect(mismatch.every((r) => r.outcome === 'retryable' && r.reason === 'expo:ticket_count_mismatch' && r.detail === '2 tickets for 3 recipients')).toBe(true);
});

it('a request that mixes projects is split as PUSH_TOO_MANY_EXPERIENCE_IDS details say, and every token is delivered', async () => {
  const list = tokens(6);
  list.forEach((token, i) => sim.setProject(token, i % 2 ? '@acme/one' : '@acme/two'));
  const results = await expo.send({ body: 'x' }, list);
  expect(results.every((r) => r.outcome === 'delivered')).toBe(true);
  expect(sim.sends.map((s) => s.recipients.length)).toEqual([6, 3, 3]);
});

it('a payload over 4096 bytes is measured and rejected before sending', async () => {
  const results = await expo.send({ body: 'x'.repeat(4100) }, tokens(2));
  expect(results.every((r) => r.outcome === 'rejected' && r.reason === 'expo:MessageTooBig' && r.detail!.startsWith('the payload is 41'))).toBe(true);
  expect(sim.sends).toHaveLength(0);
});

it('a stored token that is not an Expo token is invalid and never sent', async () => {
  const results = await expo.send({ body: 'x' }, ['a'.repeat(64), ...tokens(1)]);
  expect(results).toEqual([{ token: 'a'.repeat(64), outcome: 'invalid', reason: 'expo:malformed_token' }, expect.objectContaining({ outcome: 'delivered' })]);
  expect(sim.sends[0]!.recipients).toEqual(tokens(1));
});

it('with enhanced security: the access token goes as a bearer; none or a wrong one is rejected', async () => {
  const secured = await ExpoSimulator.start({ accessToken: 'expo-access-token-1' });
  const good = new ExpoProvider({ baseUrl: new URL(secured.url), accessToken: 'expo-access-token-1' });
  const none = new ExpoProvider({ baseUrl: new URL(secured.url) });
  const wrong = new ExpoProvider({ baseUrl: new URL(secured.url), accessToken: 'nope' });
  try {
    expect((await good.send({ body: 'x' }, tokens(1)))[0]!.outcome).toBe('delivered');
    expect(secured.sends[0]!.authorization).toBe('Bearer expo-access-token-1');
    expect((await none.send({ body: 'x' }, tokens(1)))[0]).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^expo:UNAUTHORIZED/) });
    expect((await wrong.send({ body: 'x' }, tokens(1)))[0]).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^expo:http_401/) });
  } finally {
    await Promise.all([good.close(), none.close(), wrong.close(), secured.close()]);
  }
});

it('receipts: asked in chunks of ≤ 1000 ids, answered only once ready', async () => {
  const list = tokens(3);
  const results = await expo.send({ body: 'x' }, list);
  const ids = results.map((r) => r.receiptId!);
  expect(await expo.receipts([...ids, ...Array.from({ length: 1500 }, (_, i) => `unknown-${i}`)])).toEqual(Object.fromEntries(ids.map((id) => [id, { status: 'ok' }])));
  expect(sim.receiptRequests.map((r) => r.ids.length)).toEqual([1000, 503]);
});

describe('splitByProject', () => {
  it.each([
    ['by details', ['a', 'b', 'c'], { '@x/1': ['a', 'c'], '@x/2': ['b'] }, [['a', 'c'], ['b']]],
    ['tokens not named go on their own', ['a', 'b', 'c'], { '@x/1': ['a'] }, [['a'], ['b', 'c']]],
    ['tokens not ours are ignored', ['a'], { '@x/1': ['z', 'a'] }, [['a']]],
    ['no details: one group', ['a', 'b'], undefined, [['a', 'b']]],
  ])('%s', (_name, list, details, expected) => {
    expect(splitByProject(list, details)).toEqual(expected);
  });
});
