import { api, ApiError, enc } from '../api';
import { focusOn, h, notice, replace, searchForm, shorten, statusBadge, when } from '../dom';
import type { Context } from '../context';
import { cursorPager } from '../paging';

export type Token = {
  user_id: string;
  token: string;
  provider_key: string;
  status: string;
  status_reason: string | null;
  device: { app_id?: string; platform?: string; model?: string } | null;
  expiry_date: string | null;
  created_at: string;
  last_used_at: string | null;
  /** A Live Activity's token (APNs): its kind, attributes type and activity. */
  live_activity?: { kind: 'push_to_start' | 'update'; attributes_type?: string; activity_id?: string };
};
type Page = { tokens: Token[]; paging: { more: boolean; cursor: string | null } };
type SendReport = { results: { token: string; outcome: string; reason: string | null }[]; summary: Record<string, number> };

/** A user's page: every token with its state, and revoke, delete and test-send where the key's scopes allow. */
export async function userView(ctx: Context, main: HTMLElement, userId?: string): Promise<void> {
  const { form, input } = searchForm({ id: 'user-id', label: 'User ID', button: 'Search', value: userId, go: (value) => ctx.go(`#/users/${enc(value)}`) });
  const results = h('div', { id: 'user-results' });
  replace(main, h('h1', {}, userId ? `User ${userId}` : 'Users'), form, results);
  if (!userId) {
    input.focus();
    return replace(results, notice('empty', 'Search for a user by the id your backend registers tokens under.'));
  }
  await showUser(ctx, results, userId);
}

/** After an action re-renders the list: where focus goes, and what it says there. */
type AfterAction = { token?: string; message: string };

async function showUser(ctx: Context, results: HTMLElement, userId: string, after?: AfterAction): Promise<void> {
  replace(results, notice('loading', 'Loading tokens…'));
  const outcomes = new Map<string, HTMLElement>();
  const list = h('ul', { class: 'tokens', 'aria-label': `Tokens of ${userId}` });
  const more = h('button', { type: 'button', hidden: true }, 'Load more tokens');
  const summary = h('p', { class: 'send-summary', role: 'status' });
  const pager = cursorPager<Token>({
    button: more,
    errors: results,
    fetch: async (cursor) => {
      const page = await api<Page>('GET', `/users/${enc(userId)}/tokens?limit=50${cursor ? `&cursor=${enc(cursor)}` : ''}`);
      return { items: page.tokens, ...page.paging };
    },
    add: (token) => list.append(tokenItem(ctx, token, outcomes, (next) => void showUser(ctx, results, userId, next))),
  });

  try {
    await pager.load();
  } catch (error) {
    return replace(results, notice('error', `The tokens could not be loaded: ${(error as Error).message}`));
  }
  if (pager.loaded() === 0) {
    const empty = notice('empty', `${after ? `${after.message} ` : ''}No tokens are registered for ${userId}. Check the id, or whether the app registered a token yet.`);
    replace(results, empty);
    if (after) focusOn(empty);
    return;
  }

  const form = ctx.can('send') ? testForm() : null;
  const sendAll = form
    ? h('button', { type: 'button', class: 'primary', onclick: () => void testSend({ user_id: userId }, form.read(), outcomes, summary) }, 'Send test notification')
    : null;
  const messages = ctx.can('messages:read') ? h('a', { href: `#/messages?recipient=${enc(userId)}`, class: 'button-link' }, 'Recent messages') : null;
  replace(results, h('div', { class: 'toolbar' }, sendAll, messages, summary), form?.element ?? null, list, more);
  if (after) {
    // The list was rebuilt: focus moves to the token acted on (its outcome says what happened),
    // or, when it is gone (deleted), to the summary, rather than being lost to the page's top.
    const target = (after.token && outcomes.get(after.token)) || summary;
    target.textContent = after.message;
    focusOn(target);
  }
}


type TestMessage = { content?: { title?: string; body?: string }; push?: { image?: string; content_available?: boolean } };
/** The test notification's form: title, body, image and content_available; the send buttons read it. */
let currentForm: { read: () => TestMessage } | undefined;

function testForm(): { element: HTMLElement; read: () => TestMessage } {
  const title = h('input', { id: 'test-title', type: 'text', value: 'Test notification' });
  const body = h('input', { id: 'test-body', type: 'text', value: 'Sent from the push-token-registry console.' });
  const image = h('input', { id: 'test-image', type: 'url', placeholder: 'https://…', spellcheck: 'false' });
  const silent = h('input', { id: 'test-silent', type: 'checkbox' });
  const element = h(
    'details',
    { class: 'test-form' },
    h('summary', {}, 'Test notification content'),
    h('div', { class: 'fields' },
      h('label', { for: 'test-title' }, 'Title'), title,
      h('label', { for: 'test-body' }, 'Body'), body,
      h('label', { for: 'test-image' }, 'Image URL (https)'), image,
      h('label', { class: 'check' }, silent, ' Silent (content_available): wakes the app; with no title or body, shows nothing'),
    ),
  );
  const read = (): TestMessage => {
    const content = { ...(title.value ? { title: title.value } : {}), ...(body.value ? { body: body.value } : {}) };
    const push = { ...(image.value.trim() ? { image: image.value.trim() } : {}), ...(silent.checked ? { content_available: true } : {}) };
    return { ...(Object.keys(content).length > 0 ? { content } : {}), ...(Object.keys(push).length > 0 ? { push } : {}) };
  };
  currentForm = { read };
  return { element, read };
}

function tokenItem(ctx: Context, token: Token, outcomes: Map<string, HTMLElement>, reload: (after: AfterAction) => void): HTMLElement {
  const outcome = h('p', { class: 'outcome', role: 'status' });
  outcomes.set(token.token, outcome);
  const copy = h('button', { type: 'button', class: 'link', 'aria-label': `Copy token ${shorten(token.token)}` }, 'Copy');
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(token.token).then(() => (copy.textContent = 'Copied'), () => (copy.textContent = 'Copy failed'));
  });
  const path = `/users/${enc(token.user_id)}/tokens/${enc(token.token)}`;
  const actions: HTMLElement[] = [];
  // A Live Activity token takes Live Activity pushes only: an ordinary test notification would be skipped.
  if (ctx.can('send') && token.status === 'active' && !token.live_activity) {
    actions.push(h('button', { type: 'button', onclick: () => void testSend({ token: token.token }, currentForm?.read() ?? {}, outcomes) }, 'Send test notification'));
  }
  if (ctx.can('tokens:write')) {
    if (token.status !== 'revoked') {
      actions.push(h('button', { type: 'button', onclick: () => void act(outcome, () => api('PATCH', path, { patch: [{ op: 'replace', path: '/status', value: 'revoked' }, { op: 'add', path: '/status_reason', value: 'revoked from the console' }] }), () => reload({ token: token.token, message: `Token ${shorten(token.token)} revoked.` })) }, 'Revoke'));
    }
    actions.push(
      h('button', { type: 'button', class: 'danger', onclick: () => confirm(`Delete token ${shorten(token.token)} of ${token.user_id}? This can't be undone; the app must register it again.`) && void act(outcome, () => api('DELETE', path), () => reload({ message: `Token ${shorten(token.token)} deleted.` })) }, 'Delete'),
    );
  }
  const d = token.device ?? {};
  return h(
    'li',
    { class: 'token' },
    h(
      'div',
      { class: 'token-head' },
      h('code', { title: token.token }, shorten(token.token)),
      copy,
      statusBadge(token.status),
      token.live_activity ? h('span', { class: 'badge badge-live-activity', title: 'A Live Activity token: it takes Live Activity pushes only' }, token.live_activity.kind === 'update' ? 'Live Activity update' : 'Live Activity push-to-start') : null,
      token.status_reason ? h('span', { class: 'reason' }, token.status_reason) : null,
    ),
    h(
      'dl',
      { class: 'facts' },
      fact('Provider', token.provider_key),
      token.live_activity?.attributes_type ? fact('Activity type', token.live_activity.attributes_type) : null,
      token.live_activity?.activity_id ? fact('Activity', token.live_activity.activity_id) : null,
      fact('App', d.app_id ?? '—'),
      fact('Platform', d.platform ?? '—'),
      fact('Model', d.model ?? '—'),
      fact('Last used', when(token.last_used_at)),
      fact('Created', when(token.created_at)),
      fact('Expires', token.expiry_date ? when(token.expiry_date) : 'never'),
    ),
    actions.length > 0 ? h('div', { class: 'actions' }, actions) : null,
    outcome,
  );
}

/** A term over its value, kept together when the grid wraps (a <div> inside a <dl> is valid HTML). */
function fact(term: string, value: Node | string): HTMLElement {
  return h('div', { class: 'fact' }, h('dt', {}, term), h('dd', {}, value));
}

async function act(outcome: HTMLElement, action: () => Promise<unknown>, reload: () => void): Promise<void> {
  outcome.textContent = 'Working…';
  try {
    await action();
    reload();
  } catch (error) {
    outcome.textContent = (error as Error).message;
    outcome.className = 'outcome outcome-error';
  }
}

/**
 * POST /send to the user or one token; each token's result is shown next to it. The user-wide
 * send also writes the summary in `summary`; a one-token send has only its token's line (which
 * the summary must never overwrite).
 */
async function testSend(to: { user_id: string } | { token: string }, message: TestMessage, outcomes: Map<string, HTMLElement>, summary?: HTMLElement): Promise<void> {
  const progress = summary ?? ('token' in to ? outcomes.get(to.token) : undefined);
  if (progress) progress.textContent = 'Sending…';
  try {
    const report = await api<SendReport>('POST', '/send', { message: { to, ...message } });
    for (const result of report.results) {
      const target = outcomes.get(result.token);
      if (!target) continue;
      target.textContent = `Test send: ${result.outcome}${result.reason ? ` (${result.reason})` : ''}`;
      target.className = `outcome outcome-${result.outcome}`;
    }
    if (summary) {
      const s = report.summary;
      summary.textContent = `Test send: ${s.delivered ?? 0} delivered, ${s.invalidated ?? 0} invalidated, ${s.failed ?? 0} failed, ${s.skipped ?? 0} skipped.`;
    }
  } catch (error) {
    if (progress) progress.textContent = error instanceof ApiError ? `The test send failed: ${error.message}` : 'The test send failed.';
  }
}
