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

/**
 * Whole tokens by token_id, for a key with tokens:read (TokenRegistry.tokenTexts); empty for
 * any other key. A token deleted since the send shows as its hint.
 */
export type TokenTexts = ReadonlyMap<string, string>;

const tokenOf = (tokenId: unknown, hint: unknown, texts: TokenTexts) => (typeof tokenId === 'string' && texts.get(tokenId)) || hint;

export function messageRetrieved(doc: MessageDocument, texts: TokenTexts) {
  return {
    ...messageDetails(doc),
    request_id: doc.request_id,
    ...(doc.deliver_at ? { deliver_at: doc.deliver_at.getTime() } : {}),
    providers: doc.providers,
    tokens: doc.tokens.map(({ receipt, token_hint, ...entry }) => ({
      ...entry,
      token: tokenOf(entry.token_id, token_hint, texts),
      provider_id: entry.provider_id ?? null,
      ...(receipt ? { receipt: { ...receipt, ts: receipt.ts.getTime() } } : {}),
    })),
    ...(doc.tokens_omitted ? { tokens_omitted: doc.tokens_omitted } : {}),
  };
}

/** The history, oldest first, optionally of one type; a TOKEN_INVALIDATED's token as in messageRetrieved. */
export function messageHistory(doc: MessageDocument, type: string | undefined, texts: TokenTexts): { results: Record<string, unknown>[] } {
  const events = type === undefined ? doc.history : doc.history.filter((event) => event.type === type);
  return { results: [...events].sort((a, b) => a.ts.getTime() - b.ts.getTime()).map((event) => eventView(event, texts)) };
}

function eventView({ ts, type, token_hint, ...rest }: HistoryEvent, texts: TokenTexts): Record<string, unknown> {
  return { ts: ts.getTime(), type, ...rest, ...(token_hint !== undefined ? { token: tokenOf(rest.token_id, token_hint, texts) } : {}) };
}

/** The token ids a message's view may show whole: its entries' and its history's. */
export function tokenIdsOf(doc: MessageDocument): string[] {
  const ids = new Set<string>();
  for (const entry of doc.tokens) if (entry.token_id) ids.add(entry.token_id);
  for (const event of doc.history) if (typeof event.token_id === 'string' && event.token_hint !== undefined) ids.add(event.token_id);
  return [...ids];
}
