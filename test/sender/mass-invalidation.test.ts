import request from 'supertest';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';

/**
 * Project-wide failures must never wipe a workspace's tokens; real dead tokens still go.
 * Through POST /send, the real SDKs and the simulators.
 */
let sims: SimulatedProviders;
let t: TestApp;
beforeAll(async () => {
  sims = await startSimulatedProviders();
  t = await createTestApp({ providers: sims.providers, invalidationGuard: { minTokens: 20, maxShare: 0.5 } });
});
afterAll(async () => {
  await t.close();
  await sims.close();
});

const register = (user: string, tokens: string[], provider: string) => apiClient(t.app, KEY_A).putTokens(user, tokens.map((token) => ({ token, provider_key: provider }))).expect(204);
const send = (user: string) => apiClient(t.app, KEY_A).sendTo({ user_id: user }, { content: { title: 't' } });

it('A real 10% dead share of 50 is invalidated', async () => {
  const tokens = Array.from({ length: 50 }, (_, i) => `fcm-real-${i}:APA91b-x`);
  await register('real', tokens, 'firebase-fcm');
  for (const token of tokens.slice(0, 5)) sims.fcm.stage(token, { errorCode: 'UNREGISTERED' });
  const report = await send('real');
  expect(report.summary).toMatchObject({ delivered: 45, invalidated: 5 });
  expect(await t.model.countDocuments({ user_id: 'real', status: 'failed' })).toBe(5);
});

it('A 100% dead share of a guarded reason on a batch of 50 is held: rejected with the reason why, tokens active, logged and counted', async () => {
  const tokens = Array.from({ length: 50 }, (_, i) => i.toString(16).padStart(64, 'b'));
  await register('misconfigured', tokens, 'apn');
  // Sandbox tokens sent to production: every one answers BadDeviceToken.
  for (const token of tokens) sims.apns.stage(token, { status: 400, reason: 'BadDeviceToken' });
  const report = await send('misconfigured');
  expect(report.summary).toMatchObject({ invalidated: 0, failed: 50 });
  for (const result of report.results) {
    expect(result).toMatchObject({ outcome: 'rejected', reason: expect.stringMatching(/^apns:BadDeviceToken; held: 50 of 50 tokens \(100%\)/) });
  }
  expect(await t.model.countDocuments({ user_id: 'misconfigured', status: 'active' })).toBe(50);
  expect((await request(t.app).get('/metrics')).text).toMatch(/push_invalidations_held_total\{provider="apn",reason="apns:BadDeviceToken"\} 50/);
});

it('APNs 410 Unregistered, Apple’s own statement with its timestamp, is never held', async () => {
  const tokens = Array.from({ length: 30 }, (_, i) => i.toString(16).padStart(64, 'c'));
  await register('uninstalled', tokens, 'apn');
  for (const token of tokens) sims.apns.stage(token, { status: 410, reason: 'Unregistered', timestamp: Date.now() + 60_000 });
  expect((await send('uninstalled')).summary.invalidated).toBe(30);
});
