import { ExpoProvider } from '../../src/providers/expo-provider';
import { ProviderRegistry } from '../../src/providers/provider-registry';
import { ExpoSimulator } from '../simulators/expo-simulator';
import { createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';

/**
 * An Expo receipt, read by the checker long after the send, lands in the message's history
 * (RECEIPT, and TOKEN_INVALIDATED when it killed the token) and in its token's entry.
 */
const MINUTE = 60_000;
let sim: ExpoSimulator;
let t: TestApp;
let providers: ProviderRegistry;
let clock = Date.now();
const advance = (ms: number) => {
  clock += ms;
  sim.clock = clock;
};

beforeAll(async () => {
  sim = await ExpoSimulator.start({ receiptDelayMs: 10 * MINUTE });
  sim.clock = clock;
  providers = ProviderRegistry.of([new ExpoProvider({ baseUrl: new URL(sim.url) })]);
  t = await createTestApp({ providers, retry: FAST_RETRY, now: () => new Date(clock), expoReceipts: { delayMs: 15 * MINUTE, intervalMs: MINUTE } });
});
afterAll(async () => {
  await t.close();
  await providers.close();
  await sim.close();
});

it('an ok receipt and a DeviceNotRegistered receipt each appear in the history and update the token entry', async () => {
  const api = apiClient(t.app, KEY_A);
  const alive = 'ExponentPushToken[receipt-history-alive-xxxxx]';
  const dead = 'ExponentPushToken[receipt-history-dead-xxxxxx]';
  await api.putToken('receipt-user', alive, { provider_key: 'expo' }).expect(204);
  await api.putToken('receipt-user', dead, { provider_key: 'expo' }).expect(204);
  sim.stageReceipt(dead, { status: 'error', error: 'DeviceNotRegistered' });
  const report = await api.sendTo({ user_id: 'receipt-user' });
  const sent = (await api.get(`/messages/${report.requestId}`).expect(200)).body;
  expect(sent.status).toBe('SENT');
  const ticketIds = sent.tokens.map((e: { provider_id: string }) => e.provider_id);
  expect(ticketIds.every((id: unknown) => typeof id === 'string')).toBe(true);

  advance(16 * MINUTE);
  expect(await t.receipts.runOnce()).toMatchObject({ ok: 1, invalidated: 1 });
  const events = (await api.get(`/messages/${report.requestId}/history?type=RECEIPT`).expect(200)).body.results;
  expect(events).toHaveLength(2);
  expect(events.map((e: { status: string }) => e.status).sort()).toEqual(['error', 'ok']);
  expect(events.find((e: { status: string }) => e.status === 'error').reason).toBe('expo:DeviceNotRegistered');
  const invalidated = (await api.get(`/messages/${report.requestId}/history?type=TOKEN_INVALIDATED`).expect(200)).body.results;
  expect(invalidated).toHaveLength(1);
  expect(invalidated[0].reason).toBe('expo:DeviceNotRegistered');

  const after = (await api.get(`/messages/${report.requestId}`).expect(200)).body;
  const entry = (token: string) => after.tokens.find((e: { token: string }) => e.token === token);
  expect(entry(alive)).toMatchObject({ outcome: 'delivered', receipt: { status: 'ok', ts: clock } });
  expect(entry(dead)).toMatchObject({ outcome: 'invalid', reason: 'expo:DeviceNotRegistered', receipt: { status: 'error', reason: 'expo:DeviceNotRegistered' } });
  // The message stays SENT: the status only moves forward.
  expect(after.status).toBe('SENT');
});
