import type { DeliveryResult } from './provider';
import type { ProviderCode } from './reason';

/** A stored id that is not a UUID: never sent (one would sink its whole batch), and a fact about the stored text. */
export const ONESIGNAL_MALFORMED_ID = 'onesignal:malformed_id' satisfies ProviderCode;

/**
 * OneSignal answers → per-subscription results, per ../shared/reference/expo-onesignal.md
 * (OneSignal "Create message" and rate-limit references). Decisions where the reference says
 * "judgment", each with its reason:
 * - An id listed in `errors.invalid_player_ids` exists but is unsubscribed: dead.
 * - `id: ""` with "All included players are not subscribed" is dead only for a batch of one.
 *   For a larger batch it says nothing about which ids; they are `rejected`, never mass-invalidated.
 * - When every id of a batch larger than one is listed invalid, that is what a wrong app id
 *   looks like: `rejected`, never mass-invalidated (the sender logs rejections loudly).
 * - Ids OneSignal does not know are not reported at all, so they count as delivered.
 */
export type OneSignalAnswer =
  | { status: number; body: unknown; retryAfterSeconds?: number }
  | { networkError: string };

const NOT_SUBSCRIBED = /All included players are not subscribed/i;

export function classifyOneSignal(ids: readonly string[], answer: OneSignalAnswer): DeliveryResult[] {
  const all = (result: Omit<DeliveryResult, 'token'>) => ids.map((token) => ({ token, ...result }));
  if ('networkError' in answer) return all({ outcome: 'retryable', reason: `onesignal:${answer.networkError}` });
  const { status, body } = answer;
  if (status === 429) {
    return all({ outcome: 'retryable', reason: 'onesignal:rate_limited', ...(answer.retryAfterSeconds !== undefined ? { retryAfterMs: answer.retryAfterSeconds * 1000 } : {}) });
  }
  if (status >= 500) return all({ outcome: 'retryable', reason: `onesignal:${status}` });
  if (status === 401 || status === 403) return all({ outcome: 'rejected', reason: 'onesignal:access_denied', detail: "check ONESIGNAL_API_KEY or the app's onesignal credential" });
  if (status !== 200) return all({ outcome: 'rejected', reason: `onesignal:${status}`, detail: (firstError(body) ?? 'bad request').slice(0, 200) });

  const { id, errors } = (body ?? {}) as { id?: unknown; errors?: unknown };
  if (id === '' || id === undefined || id === null) {
    const notSubscribed = Array.isArray(errors) && errors.some((e) => typeof e === 'string' && NOT_SUBSCRIBED.test(e));
    if (notSubscribed && ids.length === 1) return all({ outcome: 'invalid', reason: 'onesignal:not subscribed' });
    if (notSubscribed) return all({ outcome: 'rejected', reason: 'onesignal:not subscribed', detail: `a batch of ${ids.length} reported it as a whole; not trusted per id` });
    return all({ outcome: 'rejected', reason: 'onesignal:nothing_sent', detail: (firstError(body) ?? 'no notification id').slice(0, 200) });
  }
  const invalid = new Set(
    errors && typeof errors === 'object' && !Array.isArray(errors) && Array.isArray((errors as { invalid_player_ids?: unknown }).invalid_player_ids)
      ? ((errors as { invalid_player_ids: unknown[] }).invalid_player_ids.filter((x) => typeof x === 'string') as string[])
      : [],
  );
  if (ids.length > 1 && ids.every((token) => invalid.has(token))) {
    return all({ outcome: 'rejected', reason: 'onesignal:unsubscribed', detail: `every id of a batch of ${ids.length} reported invalid, which a wrong ONESIGNAL_APP_ID looks like; not trusted` });
  }
  const providerId = typeof id === 'string' ? { providerId: id } : {};
  return ids.map((token) => (invalid.has(token) ? { token, outcome: 'invalid', reason: 'onesignal:unsubscribed' } : { token, outcome: 'delivered', ...providerId }));
}

function firstError(body: unknown): string | undefined {
  const errors = (body as { errors?: unknown } | null)?.errors;
  const first = Array.isArray(errors) ? errors[0] : undefined;
  return typeof first === 'string' ? first : undefined;
}
