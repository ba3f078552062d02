import type { HistoryEvent, ProviderCounts } from '../messages/message-document';
import type { SendWrite } from '../messages/message-store';
import type { Progress } from './broadcast-store';

/**
 * What a finished broadcast writes onto its one message (pure): SENT when any token got it,
 * CANCELED when it was stopped, UNDELIVERABLE otherwise; per-provider counts; a SENT event per
 * provider and a BROADCAST_FINISHED event with the totals. No token entries: a broadcast's
 * tokens are counted on its chunks, and its failures listed by GET /messages/:id/failures.
 */
export function broadcastWrite(progress: Progress, at: Date): SendWrite {
  const status = progress.canceled ? 'CANCELED' : progress.delivered > 0 ? 'SENT' : 'UNDELIVERABLE';
  const providers: ProviderCounts[] = Object.entries(progress.providers)
    .filter(([provider]) => provider !== 'none')
    .map(([provider, t]) => ({ provider, delivered: t.delivered, invalid: t.invalid, rejected: t.rejected, retryable: t.retryable }));
  const events: HistoryEvent[] = providers.filter((p) => p.delivered > 0).map((p) => ({ ts: at, type: 'SENT', integration: { provider: p.provider }, delivered: p.delivered }));
  const { total, sent, delivered, invalidated, rejected, retryable, skipped, possibly_duplicated } = progress;
  events.push({ ts: at, type: 'BROADCAST_FINISHED', total, sent, delivered, invalidated, rejected, retryable, skipped, possibly_duplicated });
  const error = status === 'UNDELIVERABLE' ? (total === 0 ? 'the audience has no sendable token' : 'no token was delivered') : null;
  if (status === 'UNDELIVERABLE') events.push({ ts: at, type: status, reason: null, error });
  if (status === 'CANCELED') events.push({ ts: at, type: 'CANCELED', sent });
  return {
    status,
    reason: null,
    error,
    provider_keys: providers.map((p) => p.provider),
    providers,
    tokens: [],
    ...(status === 'SENT' ? { sent: at } : {}),
    ...(status === 'CANCELED' ? { canceled: at } : {}),
    events,
  } as SendWrite;
}
