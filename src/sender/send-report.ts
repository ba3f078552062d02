import type { ProviderKey } from '../tokens/token-fields';
import type { Applied, SendOutcome, SendResultDocument } from './send-result';

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

export const KEPT_ACTIVE = 'token changed or was re-registered after the answer; kept active';

export function sendReport(result: Pick<SendResultDocument, '_id' | 'tokens'>, applied: Applied): SendReport {
  const results: SendResult[] = [];
  const summary: SendSummary = { delivered: 0, invalidated: 0, failed: 0, skipped: 0 };
  for (const t of result.tokens) {
    // Before the effects are known, a dead answer counts as invalidated: it will be, unless the token changes first.
    const keptActive = applied.applied && t.outcome === 'invalid' && !(t.token_id !== null && applied.landed.has(t.token_id));
    const reason = keptActive ? [t.reason, KEPT_ACTIVE].filter((s) => s !== null).join('; ') : t.reason;
    results.push({ user_id: t.user_id, token: t.token, provider_key: t.provider, outcome: t.outcome, reason });
    if (t.outcome === 'delivered') summary.delivered++;
    else if (t.outcome === 'skipped') summary.skipped++;
    else if (t.outcome === 'invalid' && !keptActive) summary.invalidated++;
    else summary.failed++;
  }
  return { requestId: result._id, results, summary, ...(applied.applied ? {} : { effects: 'pending' as const }) };
}
