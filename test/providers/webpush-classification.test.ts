import { classifyWebPush, retryAfterMsOf, type WebPushAnswer } from '../../src/providers/webpush-classification';
import { isCredentialRefusal } from '../../src/providers/reason';

const E = 'https://fcm.googleapis.com/fcm/send/abc';
const NOW = new Date('2026-11-28T12:00:00Z');

/** Every row of docs/providers.md's Web Push table. */
describe('classifyWebPush', () => {
  it.each<[string, WebPushAnswer, string, string | undefined, number | undefined]>([
    ['201 Created: delivered', { status: 201 }, 'delivered', undefined, undefined],
    ['202 Accepted (a receipt was asked for): delivered', { status: 202 }, 'delivered', undefined, undefined],
    ['200: delivered', { status: 200 }, 'delivered', undefined, undefined],
    ['410 Gone: dead', { status: 410 }, 'invalid', 'webpush:410', undefined],
    ['404 Not Found: dead', { status: 404 }, 'invalid', 'webpush:404', undefined],
    ['413 Payload Too Large: rejected, token untouched', { status: 413 }, 'rejected', 'webpush:payload_too_large', undefined],
    ['400 Bad Request (ours): rejected, token untouched', { status: 400 }, 'rejected', 'webpush:400', undefined],
    ['401 (VAPID refused): rejected, never dead', { status: 401 }, 'rejected', 'webpush:401', undefined],
    ['403 (another application server key): rejected, never dead', { status: 403 }, 'rejected', 'webpush:403', undefined],
    ['429 with Retry-After seconds: retryable after it', { status: 429, retryAfter: '7' }, 'retryable', 'webpush:429', 7_000],
    ['429 with an HTTP date: retryable until then', { status: 429, retryAfter: 'Sat, 28 Nov 2026 12:00:30 GMT' }, 'retryable', 'webpush:429', 30_000],
    ['429 without Retry-After: retryable, our back-off', { status: 429 }, 'retryable', 'webpush:429', undefined],
    ['500: retryable', { status: 500 }, 'retryable', 'webpush:500', undefined],
    ['503: retryable', { status: 503 }, 'retryable', 'webpush:503', undefined],
    ['another 4xx (405): rejected with its status', { status: 405 }, 'rejected', 'webpush:405', undefined],
    ['no answer (ECONNRESET): retryable', { networkError: 'ECONNRESET' }, 'retryable', 'webpush:ECONNRESET', undefined],
    ['a timeout: retryable', { networkError: 'timeout' }, 'retryable', 'webpush:timeout', undefined],
    ['an address the SSRF filter refused: rejected, never contacted', { refused: 'blocked_address', detail: 'x' }, 'rejected', 'webpush:blocked_address', undefined],
    ['an endpoint off the allowlist: rejected, never contacted', { refused: 'endpoint_not_allowed', detail: 'x' }, 'rejected', 'webpush:endpoint_not_allowed', undefined],
  ])('%s', (_name, answer, outcome, reason, retryAfterMs) => {
    const result = classifyWebPush(E, answer, NOW);
    expect(result.token).toBe(E);
    expect(result.outcome).toBe(outcome);
    expect(result.reason).toBe(reason);
    expect(result.retryAfterMs).toBe(retryAfterMs);
  });

  it('only 401 and 403 are credential refusals (delivery.held); 410 is not', () => {
    expect(['webpush:401', 'webpush:403'].every(isCredentialRefusal)).toBe(true);
    expect(['webpush:410', 'webpush:404', 'webpush:400', 'webpush:payload_too_large'].some(isCredentialRefusal)).toBe(false);
  });

  it('never puts the endpoint in a reason or detail', () => {
    for (const status of [400, 401, 403, 404, 410, 413, 429, 500]) {
      const { reason, detail } = classifyWebPush(E, { status }, NOW);
      expect(`${reason} ${detail ?? ''}`).not.toContain('abc');
    }
  });

  it.each([['', undefined], ['  ', undefined], ['soon', undefined], ['0', 0], ['120', 120_000], ['Sat, 28 Nov 2026 11:00:00 GMT', 0]])('Retry-After %j is %j ms', (value, ms) => {
    expect(retryAfterMsOf(value, NOW)).toBe(ms);
  });
});
