import type { ProviderKey } from '../tokens/token-fields';
import type { Applied, ResultToken, SendOutcome, SendResultDocument } from './send-result';

/**
 * The API's answer to a send, built from its send result (send-result.ts) and from how its
 * effects went. Pure: the HTTP answer and the Idempotency-Key's kept answer are this.
 */
export type SendResult = {
  user_id: string | null;
  token: string;
  provider_key: ProviderKey | null;
  outcome: SendOutcome;
  reason: string | null;
};
export type SendSummary = { delivered: number; invalidated: number; failed: number; skipped: number };
/**
 * requestId: unique per send, as Courier's API answers it. `effects: 'pending'` when MongoDB
 * failed after the providers answered: the outcomes are final, and the token writes, the
 * message log and the webhooks follow once it is back (src/outcomes).
 */
export type SendReport = { requestId: string; results: SendResult[]; summary: SendSummary; effects?: 'pending' };

const KEPT_ACTIVE = 'token changed or was re-registered after the answer; kept active';

/** A dead answer whose `failed` write did not land (`landed`: token ids, hex): the token changed after the answer and stays active. */
export function keptActive(line: Pick<ResultToken, 'outcome' | 'token_id'>, landed: ReadonlySet<string>): boolean {
  return line.outcome === 'invalid' && !(line.token_id !== null && landed.has(line.token_id));
}

/** A line's reason as the answer and the message log read it, once the token writes are known. */
export function finalReason(line: Pick<ResultToken, 'outcome' | 'token_id' | 'reason'>, landed: ReadonlySet<string>): string | null {
  return keptActive(line, landed) ? [line.reason, KEPT_ACTIVE].filter((s) => s !== null).join('; ') : line.reason;
}

export function sendReport(result: Pick<SendResultDocument, '_id' | 'tokens'>, applied: Applied): SendReport {
  const results: SendResult[] = [];
  const summary: SendSummary = { delivered: 0, invalidated: 0, failed: 0, skipped: 0 };
  for (const t of result.tokens) {
    // Before the effects are known, a dead answer counts as invalidated: it will be, unless the token changes first.
    const kept = applied.applied && keptActive(t, applied.landed);
    const reason = applied.applied ? finalReason(t, applied.landed) : t.reason;
    results.push({ user_id: t.user_id, token: t.token, provider_key: t.provider, outcome: t.outcome, reason });
    if (t.outcome === 'delivered') summary.delivered++;
    else if (t.outcome === 'skipped') summary.skipped++;
    else if (t.outcome === 'invalid' && !kept) summary.invalidated++;
    else summary.failed++;
  }
  return { requestId: result._id, results, summary, ...(applied.applied ? {} : { effects: 'pending' as const }) };
}
