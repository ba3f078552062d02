import type { DeliveryResult } from './provider';
import type { ProviderCode } from './reason';

/**
 * A push service's answer → the token's outcome (RFC 8030, RFC 8292; the push services'
 * documentation for FCM, Mozilla autopush, Apple and WNS agree on these). Pure, table-tested in
 * test/providers/webpush-classification.test.ts, and tabled in docs/providers.md:
 * - 2xx (201 Created, 202 Accepted for a receipt): delivered.
 * - 404 and 410: the subscription is gone (expired or unsubscribed): dead, `webpush:410`.
 * - 413: the payload is too large for this service: `rejected`, the token untouched.
 * - 400: the request was malformed (ours to fix): `rejected`, the token untouched.
 * - 401 and 403: the VAPID signature or key was refused (a credential problem, or a
 *   subscription made with another application server key): `rejected`, never dead; a
 *   credential refusal (reason.ts), so the send reports it as delivery.held.
 * - 429: retryable, after Retry-After. 5xx: retryable.
 * - Any other status: `rejected` with its status, the token untouched.
 * - No answer (connection refused or reset, a timeout): retryable.
 * - An address the SSRF filter refused, or an endpoint off WEBPUSH_ALLOWED_HOSTS: `rejected`,
 *   never contacted, the token untouched (the operator's setting may change back).
 */
export type WebPushAnswer =
  | { status: number; retryAfter?: string | undefined }
  | { networkError: string }
  | { refused: 'blocked_address' | 'endpoint_not_allowed'; detail: string };

export const WEBPUSH_GONE = 'webpush:410' satisfies ProviderCode;
export const WEBPUSH_TOO_LARGE = 'webpush:payload_too_large' satisfies ProviderCode;

export function classifyWebPush(token: string, answer: WebPushAnswer, now: Date = new Date()): DeliveryResult {
  if ('refused' in answer) return { token, outcome: 'rejected', reason: `webpush:${answer.refused}`, detail: answer.detail };
  if ('networkError' in answer) return { token, outcome: 'retryable', reason: `webpush:${answer.networkError}` };
  const { status } = answer;
  if (status >= 200 && status < 300) return { token, outcome: 'delivered' };
  if (status === 404 || status === 410) return { token, outcome: 'invalid', reason: `webpush:${status}` };
  if (status === 413) return { token, outcome: 'rejected', reason: WEBPUSH_TOO_LARGE, detail: 'the push service refused the payload as too large' };
  if (status === 400) return { token, outcome: 'rejected', reason: 'webpush:400', detail: 'the push service refused the request as malformed' };
  if (status === 401 || status === 403) return { token, outcome: 'rejected', reason: `webpush:${status}`, detail: 'the push service refused the VAPID key or signature; check the credential, and that the page subscribed with its public key' };
  if (status === 429) {
    const retryAfterMs = retryAfterMsOf(answer.retryAfter, now);
    return { token, outcome: 'retryable', reason: 'webpush:429', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (status >= 500) return { token, outcome: 'retryable', reason: `webpush:${status}` };
  return { token, outcome: 'rejected', reason: `webpush:${status}` };
}

/** Retry-After as seconds or an HTTP date (RFC 9110), in milliseconds from now; undefined if absent or unreadable. */
export function retryAfterMsOf(value: string | undefined, now: Date): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
