import { api, ApiError, enc } from '../api';
import { focusOn, h, notice, replace, shorten } from '../dom';
import type { Context } from '../context';
import { cursorPager, pagedTable } from '../paging';
import { progressSection, type Progress } from './broadcast';

/**
 * The message log: a filterable list (GET /messages), and one message with its per-token
 * outcomes and its history as a timeline (GET /messages/:id and /history). Filters live in the
 * hash (#/messages?recipient=alice&status=SENT), so a user's page can link here and a reload
 * keeps them.
 */
type Message = {
  id: string;
  status: string;
  recipient: string;
  enqueued: number;
  sent?: number;
  delivered?: number;
  opened?: number;
  clicked?: number;
  error: string | null;
  reason: string | null;
};
type Retrieved = Message & {
  request_id: string;
  deliver_at?: number;
  providers: { provider: string; delivered: number; invalid: number; rejected: number; retryable: number }[];
  tokens: { token_id: string | null; provider_key: string | null; token: string; outcome: string; reason: string | null; provider_id: string | null; attempts: number; app_id: string | null; receipt?: { status: string; reason?: string } }[];
  tokens_omitted?: Record<string, number>;
  /** A broadcast's (a send to a list, pattern or audience). */
  progress?: Progress;
  recipient_type?: 'list_id' | 'list_pattern' | 'audience_id';
};
type HistoryEvent = { ts: number; type: string; [key: string]: unknown };

const STATUSES = ['DELAYED', 'ENQUEUED', 'SENT', 'DELIVERED', 'OPENED', 'CLICKED', 'UNDELIVERABLE', 'UNROUTABLE', 'CANCELED'];
const PROVIDERS = ['apn', 'firebase-fcm', 'expo', 'onesignal', 'webpush'];

const at = (ms: number | undefined): HTMLElement | string => {
  if (ms === undefined) return '—';
  const iso = new Date(ms).toISOString();
  return h('time', { datetime: iso, title: iso }, new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }));
};
const badge = (status: string) => h('span', { class: `badge badge-message badge-${status.toLowerCase()}` }, status);

export async function messagesView(ctx: Context, main: HTMLElement, filters: URLSearchParams): Promise<void> {
  const recipient = h('input', { id: 'filter-recipient', type: 'search', value: filters.get('recipient') ?? '', autocomplete: 'off', spellcheck: 'false' });
  const status = h('select', { id: 'filter-status' }, h('option', { value: '' }, 'Any status'), STATUSES.map((s) => h('option', { value: s, selected: filters.get('status') === s }, s)));
  const provider = h('select', { id: 'filter-provider' }, h('option', { value: '' }, 'Any provider'), PROVIDERS.map((p) => h('option', { value: p, selected: filters.get('provider') === p }, p)));
  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const next = new URLSearchParams();
        if (recipient.value.trim()) next.set('recipient', recipient.value.trim());
        if (status.value) next.set('status', status.value);
        if (provider.value) next.set('provider', provider.value);
        ctx.go(`#/messages${next.size > 0 ? `?${next}` : ''}`);
      },
    },
    h('label', { for: 'filter-recipient' }, 'Recipient'),
    recipient,
    h('label', { for: 'filter-status' }, 'Status'),
    status,
    h('label', { for: 'filter-provider' }, 'Provider'),
    provider,
    h('button', { type: 'submit' }, 'Filter'),
  );
  const results = h('div', { id: 'message-results' }, notice('loading', 'Loading messages…'));
  replace(main, h('h1', {}, 'Messages'), form, results);

  const rows = h('tbody', {});
  const more = h('button', { type: 'button', hidden: true }, 'Load more messages');
  const pager = cursorPager<Message>({
    button: more,
    errors: results,
    fetch: async (cursor) => {
      const query = new URLSearchParams(filters);
      query.set('limit', '25');
      if (cursor) query.set('cursor', cursor);
      const page = await api<{ results: Message[]; paging: { cursor: string | null; more: boolean } }>('GET', `/messages?${query}`);
      return { items: page.results, ...page.paging };
    },
    add: (message) => rows.append(row(message)),
  });
  try {
    await pager.load();
  } catch (error) {
    return replace(results, notice('error', `The messages could not be loaded: ${(error as Error).message}`));
  }
  if (pager.loaded() === 0) return replace(results, notice('empty', filters.size > 0 ? 'No message matches these filters.' : 'No messages yet: every POST /send leaves one per recipient here.'));
  replace(
    results,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'messages' },
        h('thead', {}, h('tr', {}, ['Message', 'Status', 'Recipient', 'Enqueued', 'Why'].map((c) => h('th', { scope: 'col' }, c)))),
        rows,
      ),
    ),
    more,
  );
}

function row(message: Message): HTMLElement {
  return h(
    'tr',
    {},
    h('th', { scope: 'row' }, h('a', { href: `#/message/${enc(message.id)}` }, h('code', {}, message.id.slice(0, 8)))),
    h('td', {}, badge(message.status)),
    h('td', {}, message.recipient),
    h('td', {}, at(message.enqueued)),
    h('td', { class: 'reason' }, [message.reason, message.error].filter(Boolean).join(': ') || ''),
  );
}

export async function messageView(ctx: Context, main: HTMLElement, id: string): Promise<void> {
  replace(main, h('h1', {}, 'Message'), notice('loading', 'Loading the message…'));
  let message: Retrieved;
  let events: HistoryEvent[];
  try {
    [message, { results: events }] = await Promise.all([api<Retrieved>('GET', `/messages/${enc(id)}`), api<{ results: HistoryEvent[] }>('GET', `/messages/${enc(id)}/history`)]);
  } catch (error) {
    const text = error instanceof ApiError && error.status === 404 ? 'There is no such message in this workspace (messages are kept for MESSAGE_RETENTION, 30 days by default).' : `The message could not be loaded: ${(error as Error).message}`;
    return replace(main, h('h1', {}, 'Message'), notice('error', text));
  }
  const status = h('p', { class: 'outcome', role: 'status' });
  const cancel =
    message.status === 'DELAYED' && ctx.can('send') && !message.progress
      ? h(
          'button',
          {
            type: 'button',
            class: 'danger',
            onclick: () =>
              void api('POST', `/messages/${enc(id)}/cancel`).then(
                () => messageView(ctx, main, id),
                (e: ApiError) => {
                  status.textContent = e.status === 409 ? 'Too late: the message has already been sent.' : e.message;
                  focusOn(status);
                },
              ),
          },
          'Cancel this message',
        )
      : null;
  replace(
    main,
    h('h1', {}, 'Message ', h('code', {}, message.id)),
    h('p', {}, badge(message.status), message.reason ? h('span', { class: 'reason' }, ` ${message.reason}`) : null, message.error ? h('span', { class: 'muted' }, ` — ${message.error}`) : null),
    h(
      'dl',
      { class: 'facts' },
      fact('Recipient', recipientLink(message)),
      fact('Request', h('a', { href: `#/messages?messageId=${enc(message.request_id)}` }, shorten(message.request_id))),
      fact('Enqueued', at(message.enqueued)),
      message.deliver_at !== undefined ? fact('Due', at(message.deliver_at)) : null,
      fact('Sent', at(message.sent)),
      fact('Delivered', at(message.delivered)),
      fact('Opened', at(message.opened)),
      fact('Clicked', at(message.clicked)),
    ),
    cancel ? h('div', { class: 'actions' }, cancel, status) : null,
    message.progress ? progressSection(ctx, id, message.progress, () => void messageView(ctx, main, id)) : null,
    message.progress ? failuresSection(id) : h('section', {}, h('h2', {}, 'Tokens'), tokensTable(message)),
    h('section', {}, h('h2', {}, 'History'), timeline(events)),
  );
}

/** The user a message was for, or a broadcast's list, pattern or audience. */
function recipientLink(message: Retrieved): Node | string {
  if (message.recipient.startsWith('****')) return message.recipient;
  if (message.recipient_type === 'list_pattern') return `lists matching ${message.recipient}`;
  if (message.recipient_type === 'list_id') return h('a', { href: `#/lists/${enc(message.recipient)}` }, `list ${message.recipient}`);
  if (message.recipient_type === 'audience_id') return h('a', { href: `#/audiences/${enc(message.recipient)}` }, `audience ${message.recipient}`);
  return h('a', { href: `#/users/${enc(message.recipient)}` }, message.recipient);
}

/** A broadcast's tokens that did not get it, a page at a time (delivered ones are counted, not listed). */
function failuresSection(id: string): HTMLElement {
  type Failure = { token: string; user_id: string | null; provider_key: string | null; outcome: string; reason: string | null };
  const row = (f: Failure) => h('tr', {}, h('td', {}, f.provider_key ?? '—'), h('td', {}, h('code', { title: f.token }, shorten(f.token))), h('td', {}, f.user_id ?? '—'), h('td', {}, h('span', { class: `badge badge-outcome-${f.outcome}` }, f.outcome)), h('td', { class: 'reason' }, f.reason ?? '—'));
  return h('section', {}, h('h2', {}, 'Tokens that did not get it'), pagedTable<Failure>(`/messages/${enc(id)}/failures`, ['Provider', 'Token', 'User', 'Outcome', 'Reason'], row, 'None so far: every token sent to was delivered.', { key: 'results', className: 'broadcast-failures' }));
}

function tokensTable(message: Retrieved): HTMLElement {
  if (message.tokens.length === 0) return notice('empty', message.status === 'DELAYED' ? 'Not sent yet: the recipient’s tokens are looked up when it is due.' : 'No token was sent to.');
  const omitted = Object.entries(message.tokens_omitted ?? {}).map(([outcome, n]) => `${n} ${outcome}`);
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'message-tokens' },
        h('thead', {}, h('tr', {}, ['Provider', 'Token', 'Outcome', 'Reason', 'Provider id', 'Attempts', 'App'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          message.tokens.map((t) =>
            h(
              'tr',
              {},
              h('td', {}, t.provider_key ?? '—'),
              h('td', {}, h('code', { title: t.token }, shorten(t.token))),
              h('td', {}, h('span', { class: `badge badge-outcome-${t.outcome}` }, t.outcome)),
              h('td', { class: 'reason' }, [t.reason, t.receipt ? `receipt: ${t.receipt.status}${t.receipt.reason ? ` (${t.receipt.reason})` : ''}` : null].filter(Boolean).join('; ') || '—'),
              h('td', {}, t.provider_id ? h('code', { title: t.provider_id }, shorten(t.provider_id)) : '—'),
              h('td', { class: 'num' }, String(t.attempts)),
              h('td', {}, t.app_id ?? '—'),
            ),
          ),
        ),
      ),
    ),
    omitted.length > 0 ? h('p', { class: 'muted' }, `And ${omitted.join(', ')} more (only the first 100 tokens are kept).`) : null,
  );
}

/** The history, oldest first, one line each: when, what, and what it carried. */
function timeline(events: HistoryEvent[]): HTMLElement {
  return h(
    'ol',
    { class: 'timeline' },
    events.map(({ ts, type, ...rest }) =>
      h('li', {}, at(ts), ' ', h('strong', {}, type), ' ', h('span', { class: 'muted' }, describe(rest))),
    ),
  );
}

function describe(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(', ');
}

function fact(term: string, value: Node | string): HTMLElement {
  return h('div', { class: 'fact' }, h('dt', {}, term), h('dd', {}, value));
}
