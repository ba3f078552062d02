import { maskSecret } from '../logger';
import type { ReasonCode } from '../providers/reason';
import type { ResultMessage, ResultToken } from '../sender/send-result';
import { finalReason } from '../sender/send-report';
import { MAX_TOKEN_ENTRIES, type HistoryEvent, type ProviderCounts, type TokenEntry } from './message-document';
import { sendStatus } from './message-status';
import type { SendWrite } from './message-store';

/** The routing codes: a token with one was never handed to a provider (UNROUTABLE, NO_PROVIDERS). */
const UNROUTED: ReadonlySet<ReasonCode> = new Set<ReasonCode>(['no_adapter', 'no_credentials', 'credential_missing', 'credential_unusable']);

/** A message's share of a send result: its named token's line, its user's (a token named and also the user's is in both), or an activity's. */
export function linesOf(message: ResultMessage, tokens: readonly ResultToken[]): ResultToken[] {
  // A Live Activity's message (to: {activity_id}) is the only one of its send: every token sent is its.
  // So is a channel's (to: {channel_id}): its one line is the channel's publish.
  if ('activity_id' in message || 'channel_id' in message) return tokens.filter((t) => t.outcome !== 'skipped');
  return 'token' in message ? tokens.filter((t) => t.token === message.token) : tokens.filter((t) => t.outcome !== 'skipped' && t.user_id === message.user_id);
}

/**
 * What a send result writes onto one of its messages, as a pure function: the status and its
 * reason, per-provider counts, the first MAX_TOKEN_ENTRIES token entries (hints, never whole
 * tokens), and the history: SENT per provider or the failure, then TOKEN_INVALIDATED for each
 * token whose invalidation landed (`landed`: token ids, hex).
 */
export function messageWrite(lines: readonly ResultToken[], landed: ReadonlySet<string>, at: Date): SendWrite {
  const { status, reason } = sendStatus(lines.map((r) => ({ outcome: r.outcome, routed: r.code === null || !UNROUTED.has(r.code) })));
  const providers = new Map<string, ProviderCounts>();
  for (const r of lines) {
    if (r.provider === null || r.outcome === 'skipped') continue;
    const counts = providers.get(r.provider) ?? { provider: r.provider, delivered: 0, invalid: 0, rejected: 0, retryable: 0 };
    counts[r.outcome]++;
    providers.set(r.provider, counts);
  }
  const tokens: TokenEntry[] = lines.slice(0, MAX_TOKEN_ENTRIES).map((r) => ({
    token_id: r.token_id,
    provider_key: r.provider,
    token_hint: maskSecret(r.token),
    outcome: r.outcome,
    reason: finalReason(r, landed),
    ...(r.provider_id !== undefined ? { provider_id: r.provider_id } : {}),
    attempts: r.attempts,
    app_id: r.app_id,
  }));
  const omitted: Partial<Record<ResultToken['outcome'], number>> = {};
  for (const r of lines.slice(MAX_TOKEN_ENTRIES)) omitted[r.outcome] = (omitted[r.outcome] ?? 0) + 1;

  const events: HistoryEvent[] = [];
  for (const counts of providers.values()) if (counts.delivered > 0) events.push({ ts: at, type: 'SENT', integration: { provider: counts.provider }, delivered: counts.delivered });
  const error = status === 'SENT' ? null : mostCommon(lines.map((r) => r.reason ?? r.outcome)) ?? 'the recipient has no sendable token';
  if (status !== 'SENT') events.push({ ts: at, type: status, reason, error });
  // One TOKEN_INVALIDATED per token entry kept, as many as MAX_TOKEN_ENTRIES: the history stays within its bound.
  for (const r of lines.slice(0, MAX_TOKEN_ENTRIES)) {
    if (r.outcome === 'invalid' && r.token_id !== null && landed.has(r.token_id)) {
      events.push({ ts: at, type: 'TOKEN_INVALIDATED', token_id: r.token_id, provider_key: r.provider, app_id: r.app_id, token_hint: maskSecret(r.token), reason: r.code });
    }
  }
  return {
    status,
    reason,
    error,
    provider_keys: [...providers.keys()],
    providers: [...providers.values()],
    tokens,
    ...(Object.keys(omitted).length > 0 ? { tokens_omitted: omitted } : {}),
    ...(status === 'SENT' ? { sent: at } : {}),
    events,
  };
}

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}
