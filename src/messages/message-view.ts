import { maskSecret } from '../logger';
import type { HistoryEvent, MessageDocument } from './message-document';

/**
 * How a message reads in the API: Courier's MessageDetails (times as epoch milliseconds, each
 * absent until it happens; `event` and `notification` empty, as there are no templates), and
 * for GET /messages/:id its providers and tokens. Tokens are masked (`****1234`) unless the
 * caller holds tokens:read; the tracking key and the scheduled payload never leave the store.
 */
export type MessageDetails = {
  id: string;
  status: MessageDocument['status'];
  enqueued: number;
  sent?: number;
  delivered?: number;
  opened?: number;
  clicked?: number;
  recipient: string;
  event: string;
  notification: string;
  error: string | null;
  reason: MessageDocument['reason'];
};

const ms = (date: Date | undefined) => (date ? { ms: date.getTime() } : undefined);

export function messageDetails(doc: MessageDocument): MessageDetails {
  const details: MessageDetails = { id: doc._id, status: doc.status, enqueued: doc.enqueued.getTime(), recipient: doc.recipient, event: '', notification: '', error: doc.error ?? null, reason: doc.reason ?? null };
  for (const field of ['sent', 'delivered', 'opened', 'clicked'] as const) {
    const time = ms(doc[field]);
    if (time) details[field] = time.ms;
  }
  return details;
}

export function messageRetrieved(doc: MessageDocument, mayReadTokens: boolean) {
  const show = (token: string) => (mayReadTokens ? token : maskSecret(token));
  return {
    ...messageDetails(doc),
    request_id: doc.request_id,
    ...(doc.deliver_at ? { deliver_at: doc.deliver_at.getTime() } : {}),
    providers: doc.providers,
    tokens: doc.tokens.map(({ receipt, ...entry }) => ({
      ...entry,
      token: show(entry.token),
      provider_id: entry.provider_id ?? null,
      ...(receipt ? { receipt: { ...receipt, ts: receipt.ts.getTime() } } : {}),
    })),
    ...(doc.tokens_omitted ? { tokens_omitted: doc.tokens_omitted } : {}),
  };
}

/** The history, oldest first, optionally of one type; tokens masked as in messageRetrieved. */
export function messageHistory(doc: MessageDocument, type: string | undefined, mayReadTokens: boolean): { results: Record<string, unknown>[] } {
  const events = type === undefined ? doc.history : doc.history.filter((event) => event.type === type);
  return { results: [...events].sort((a, b) => a.ts.getTime() - b.ts.getTime()).map((event) => eventView(event, mayReadTokens)) };
}

function eventView({ ts, type, ...rest }: HistoryEvent, mayReadTokens: boolean): Record<string, unknown> {
  const view: Record<string, unknown> = { ts: ts.getTime(), type, ...rest };
  if (typeof view.token === 'string' && !mayReadTokens) view.token = maskSecret(view.token);
  return view;
}
