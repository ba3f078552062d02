import { classifyOneSignal, type OneSignalAnswer } from '../../src/providers/onesignal-classification';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';

describe('classifyOneSignal', () => {
  it.each<[string, string[], OneSignalAnswer, Record<string, [string, string?]>]>([
    ['200 with an id: all delivered', [A, B], { status: 200, body: { id: 'n1' } }, { [A]: ['delivered'], [B]: ['delivered'] }],
    ['invalid_player_ids: those are dead (unsubscribed), the rest delivered', [A, B, C], { status: 200, body: { id: 'n1', errors: { invalid_player_ids: [B] } } }, { [A]: ['delivered'], [B]: ['invalid', 'onesignal:unsubscribed'], [C]: ['delivered'] }],
    ['every id of a batch listed invalid (a wrong app id): rejected, never invalidated', [A, B], { status: 200, body: { id: 'n1', errors: { invalid_player_ids: [A, B] } } }, { [A]: ['rejected'], [B]: ['rejected'] }],
    ['the only id listed invalid: dead', [A], { status: 200, body: { id: 'n1', errors: { invalid_player_ids: [A] } } }, { [A]: ['invalid', 'onesignal:unsubscribed'] }],
    ['id "" and "All included players are not subscribed", batch of one: dead', [A], { status: 200, body: { id: '', errors: ['All included players are not subscribed'] } }, { [A]: ['invalid', 'onesignal:not subscribed'] }],
    ['the same for a batch of two: rejected, not trusted per id', [A, B], { status: 200, body: { id: '', errors: ['All included players are not subscribed'] } }, { [A]: ['rejected'], [B]: ['rejected'] }],
    ['id "" with errors {}: nothing sent, rejected', [A], { status: 200, body: { id: '', errors: {} } }, { [A]: ['rejected'] }],
    ['400 (a malformed id rejects the whole request): rejected', [A, B], { status: 400, body: { errors: ['Incorrect subscription_id format in include_subscription_ids (not a valid UUID): x'] } }, { [A]: ['rejected'], [B]: ['rejected'] }],
    ['403 access denied: rejected (credential)', [A], { status: 403, body: { errors: ['Access denied.'] } }, { [A]: ['rejected', 'onesignal:access_denied'] }],
    ['429: retryable', [A], { status: 429, body: { errors: ['API rate limit exceeded.'] }, retryAfterSeconds: 3 }, { [A]: ['retryable', 'onesignal:rate_limited'] }],
    ['502 with an HTML body: retryable', [A], { status: 502, body: '<html>Bad Gateway</html>' }, { [A]: ['retryable', 'onesignal:502'] }],
    ['a network error: retryable', [A], { networkError: 'ECONNRESET' }, { [A]: ['retryable', 'onesignal:ECONNRESET'] }],
  ])('%s', (_name, ids, answer, expected) => {
    const results = classifyOneSignal(ids, answer);
    expect(results.map((r) => r.token)).toEqual(ids);
    for (const result of results) {
      const [outcome, reason] = expected[result.token]!;
      expect(result.outcome).toBe(outcome);
      if (reason) expect(result.reason).toBe(reason);
    }
  });

  it('honours Retry-After', () => {
    expect(classifyOneSignal([A], { status: 429, body: {}, retryAfterSeconds: 7 })[0]!.retryAfterMs).toBe(7_000);
  });
});
