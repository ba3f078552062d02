import type { DeliveryOutcome, DeliveryResult } from './provider';
import type { ProviderCode } from './reason';

/** A stored token that is not an Expo push token: never sent, and a fact about the stored text. */
export const EXPO_MALFORMED_TOKEN = 'expo:malformed_token' satisfies ProviderCode;

/**
 * Expo answers → outcomes, per ../shared/reference/expo-onesignal.md §1 and §3. Pure, so
 * every row is a table test. Decisions where the reference says "judgment" or "unverified":
 * - Only DeviceNotRegistered says a token is dead, in a ticket or in a receipt.
 * - MessageRateExceeded (that device, too often), ExpoError and ProviderError (Expo's and the
 *   provider's own trouble), 429 and 5xx, network errors and a ticket count that does not match
 *   the recipients are transient. A wrong count is never guessed into per-token answers.
 * - Our faults, which retrying can't fix and no token is to blame for: MessageTooBig,
 *   MismatchSenderId, InvalidCredentials, DeveloperError, PUSH_TOO_MANY_*, UNAUTHORIZED, 401
 *   and other 4xx. An error code Expo has not documented (InvalidProviderCredentials,
 *   VALIDATION_ERROR) is treated the same way: rejected, token untouched, logged.
 */
const DEAD = new Set(['DeviceNotRegistered']);
const TRANSIENT = new Set(['MessageRateExceeded', 'ExpoError', 'ProviderError', 'TOO_MANY_REQUESTS', 'INTERNAL_SERVER_ERROR']);

export function outcomeOfExpoCode(code: string): DeliveryOutcome {
  if (DEAD.has(code)) return 'invalid';
  if (TRANSIENT.has(code)) return 'retryable';
  return 'rejected';
}

export type ExpoTicket = { status: 'ok'; id: string } | { status: 'error'; message?: string; details?: { error?: string } };

/** Tickets come in request order, one per recipient: ticket i answers tokens[i]. */
export function classifyTickets(tokens: readonly string[], tickets: readonly ExpoTicket[]): DeliveryResult[] {
  if (tickets.length !== tokens.length) {
    return tokens.map((token) => ({ token, outcome: 'retryable', reason: 'expo:ticket_count_mismatch', detail: `${tickets.length} tickets for ${tokens.length} recipients` }));
  }
  return tokens.map((token, i) => {
    const ticket = tickets[i]!;
    if (ticket.status === 'ok' && typeof ticket.id === 'string') return { token, outcome: 'delivered', receiptId: ticket.id, providerId: ticket.id };
    const code = ticket.status === 'error' && ticket.details?.error;
    if (!code) return { token, outcome: 'rejected', reason: 'expo:unknown', detail: `a ticket error without a code${ticket.status === 'error' && ticket.message ? `: ${ticket.message.slice(0, 200)}` : ''}` };
    return { token, outcome: outcomeOfExpoCode(code), reason: `expo:${code}` };
  });
}

/** A whole request that failed: what the SDK threw, reduced to what decides the outcome. */
export type ExpoRequestFailure =
  | { kind: 'http'; status: number; code?: string; retryAfterMs?: number }
  | { kind: 'network'; code: string }
  | { kind: 'ticket count'; got: number };

export function classifyRequestFailure(tokens: readonly string[], failure: ExpoRequestFailure): DeliveryResult[] {
  const all = (outcome: DeliveryOutcome, reason: ProviderCode, extra: Partial<DeliveryResult> = {}): DeliveryResult[] => tokens.map((token) => ({ token, outcome, reason, ...extra }));
  if (failure.kind === 'network') return all('retryable', `expo:${failure.code}`);
  if (failure.kind === 'ticket count') return all('retryable', 'expo:ticket_count_mismatch', { detail: `${failure.got} tickets for ${tokens.length} recipients` });
  const { status, code } = failure;
  const reason: ProviderCode = code ? `expo:${code}` : `expo:http_${status}`;
  if (status === 429) return all('retryable', reason, failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {});
  if (status >= 500) return all('retryable', reason);
  if (status === 401 || status === 403) return all('rejected', reason, { detail: "the project requires a valid access token: EXPO_ACCESS_TOKEN or the app's expo credential" });
  // A request-level 4xx is about the request, never about one token, even if the code is a dead one.
  return all(code && TRANSIENT.has(code) ? 'retryable' : 'rejected', reason);
}

export type ExpoReceipt = { status: 'ok' } | { status: 'error'; message?: string; details?: { error?: string } };

/** A receipt's answer; `undefined` while Expo has none for the id. */
export function classifyReceipt(receipt: ExpoReceipt): { outcome: DeliveryOutcome; reason: ProviderCode; detail?: string } {
  if (receipt.status === 'ok') return { outcome: 'delivered', reason: 'expo:ok' };
  const code = receipt.details?.error;
  if (!code) return { outcome: 'rejected', reason: 'expo:unknown', detail: 'a receipt error without a code' };
  return { outcome: outcomeOfExpoCode(code), reason: `expo:${code}` };
}
