import request from 'supertest';
import type { DeliveryResult, Notification, PushProvider } from '../../src/providers/provider';
import { ProviderRegistry } from '../../src/providers/provider-registry';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

/**
 * Issue 23: an adapter that answers fewer results than it was given tokens (a bug in an
 * adapter, a provider that drops entries) must not turn a send that already went out into a
 * 500 the client would retry. The tokens it said nothing about are `retryable`, and untouched.
 * The adapter here is ours, standing in for a faulty one: what is tested is the sender's
 * contract with every adapter, not delivery (that is the simulators' job).
 */
class ForgetfulProvider implements PushProvider {
  readonly key = 'apn' as const;
  sent: string[][] = [];
  async send(_notification: Notification, tokens: readonly string[]): Promise<DeliveryResult[]> {
    this.sent.push([...tokens]);
    // Answers only every other token.
    return tokens.filter((_, i) => i % 2 === 0).map((token) => ({ token, outcome: 'delivered' as const }));
  }
  ready(): boolean {
    return true;
  }
  async close(): Promise<void> {}
}

let t: TestApp;
const provider = new ForgetfulProvider();
beforeAll(async () => {
  t = await createTestApp({ providers: ProviderRegistry.of([provider]) });
});
afterAll(async () => {
  await t.close();
});

it('Tokens an adapter gave no result for are retryable with a reason; the answer is a 200 and nothing is marked', async () => {
  const tokens = Array.from({ length: 4 }, (_, i) => (i + 1).toString(16).padStart(64, 'e'));
  await request(t.app).put('/users/forgotten/tokens').set(bearer(KEY_A)).send({ tokens: tokens.map((token) => ({ token, provider_key: 'apn' })) }).expect(204);
  const res = await request(t.app).post('/send').set(bearer(KEY_A)).send({ message: { to: { user_id: 'forgotten' }, content: { title: 'hi' } } }).expect(200);
  const byToken = new Map((res.body.results as { token: string; outcome: string; reason: string | null }[]).map((r) => [r.token, r]));
  expect(res.body.results).toHaveLength(4);
  const outcomes = tokens.map((token) => byToken.get(token)!.outcome);
  expect(outcomes.filter((o) => o === 'delivered')).toHaveLength(2);
  for (const token of tokens) {
    const result = byToken.get(token)!;
    if (result.outcome !== 'delivered') expect(result).toMatchObject({ outcome: 'retryable', reason: 'no answer from the provider adapter' });
  }
  expect(res.body.summary).toMatchObject({ delivered: 2, failed: 2, invalidated: 0 });
  expect(await t.model.countDocuments({ user_id: 'forgotten', status: 'active' })).toBe(4);
});
