import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExpoProvider } from '../../src/providers/expo-provider';
import { ProviderRegistry } from '../../src/providers/provider-registry';
import { ExpoSimulator } from '../simulators/expo-simulator';
import { createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';

/** A token an Expo receipt finds dead, long after its send, is one token.invalidated too (issue 21). */
const MINUTE = 60_000;
let sim: ExpoSimulator;
let t: TestApp;
let providers: ProviderRegistry;
let receiver: http.Server;
const received: { type: string; data: Record<string, unknown> }[] = [];
let clock = Date.now();

beforeAll(async () => {
  sim = await ExpoSimulator.start({ receiptDelayMs: 10 * MINUTE });
  sim.clock = clock;
  providers = ProviderRegistry.of([new ExpoProvider({ baseUrl: new URL(sim.url) })]);
  t = await createTestApp({ providers, retry: FAST_RETRY, now: () => new Date(clock), expoReceipts: { delayMs: 15 * MINUTE, intervalMs: MINUTE }, webhooks: { allowHttp: true, allowPrivate: true } });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await t.close();
  await providers.close();
  await sim.close();
});

it('DeviceNotRegistered in a receipt: the token fails, and its event carries the message it was sent in', async () => {
  const api = apiClient(t.app, KEY_A);
  await api.post('/webhooks', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, events: ['token.invalidated'] }).expect(201);
  const dead = 'ExponentPushToken[receipt-event-dead-xxxxxxx]';
  await api.putToken('receipt-events', dead, { provider_key: 'expo', device: { app_id: 'com.example.expo' } }).expect(204);
  sim.stageReceipt(dead, { status: 'error', error: 'DeviceNotRegistered' });
  const report = await api.sendTo({ user_id: 'receipt-events' });
  await t.dispatcher.runOnce();
  expect(received).toEqual([]);

  clock += 16 * MINUTE;
  sim.clock = clock;
  expect(await t.receipts.runOnce()).toMatchObject({ invalidated: 1 });
  await t.dispatcher.runOnce();
  expect(received).toEqual([
    { type: 'token.invalidated', timestamp: expect.any(String), data: { user_id: 'receipt-events', token: dead, provider_key: 'expo', app_id: 'com.example.expo', reason: 'expo:DeviceNotRegistered', message_id: report.requestId } },
  ]);
});
