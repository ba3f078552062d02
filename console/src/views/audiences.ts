import { api, enc } from '../api';
import { h, notice, replace, shorten, showFormErrors, when } from '../dom';
import type { Context } from '../context';
import { pagedTable } from '../paging';

/**
 * Lists and audiences (issue 30): the workspace's lists, one list's members (subscribe and
 * unsubscribe), the audiences, one audience's filter, member count and members, and a send to
 * either, which opens the broadcast's message page with its progress.
 */
type List = { id: string; name: string; created: string; updated: string };
type Subscription = { recipientId: string; created: string };
type Audience = { id: string; name: string; description: string; filter: { filters: unknown[] }; operator: string; updated_at: string };
type Member = { member_id: string; token: string; provider_key: string; app_id: string | null; platform: string | null };

/** Title and body, sent to a list or an audience; opens the broadcast's message page. */
function sendForm(ctx: Context, to: Record<string, string>, what: string): HTMLElement | null {
  if (!ctx.can('send')) return null;
  const title = h('input', { id: 'broadcast-title', required: true, maxlength: 1024 });
  const body = h('input', { id: 'broadcast-body', maxlength: 4096 });
  const message = h('p', { class: 'outcome', role: 'status' });
  const form = h(
    'form',
    {
      class: 'send-broadcast',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const content = { title: title.value, ...(body.value ? { body: body.value } : {}) };
        void api<{ requestId: string }>('POST', '/send', { message: { to, content } }).then(
          ({ requestId }) => ctx.go(`#/message/${enc(requestId)}`),
          (error: Error & { body?: unknown }) => showFormErrors(form, message, error, (path) => (path.endsWith('content.title') ? 'broadcast-title' : path.endsWith('content.body') ? 'broadcast-body' : undefined)),
        );
      },
    },
    h('h2', {}, `Send to ${what}`),
    h('label', { for: 'broadcast-title' }, 'Title'),
    title,
    h('label', { for: 'broadcast-body' }, 'Body'),
    body,
    message,
    h('button', { type: 'submit', class: 'primary' }, 'Send'),
  );
  return form;
}

export function listsView(ctx: Context, main: HTMLElement): void {
  replace(
    main,
    h('h1', {}, 'Lists'),
    pagedTable<List>('/lists', ['List', 'Name', 'Updated'], (l) => h('tr', {}, h('td', {}, h('a', { href: `#/lists/${enc(l.id)}` }, h('code', {}, l.id))), h('td', {}, l.name), h('td', {}, when(l.updated))), 'No lists yet. Subscribe a user to one (below, or with PUT /lists/:list_id/subscriptions/:user_id) and it is made.'),
    ctx.can('lists:write') ? subscribeForm(ctx, undefined) : null,
  );
}

export async function listView(ctx: Context, main: HTMLElement, listId: string): Promise<void> {
  replace(main, h('h1', {}, 'List ', h('code', {}, listId)), notice('loading', 'Loading the list…'));
  let list: List;
  try {
    list = await api<List>('GET', `/lists/${enc(listId)}`);
  } catch (error) {
    return replace(main, h('h1', {}, 'List ', h('code', {}, listId)), notice('error', `The list could not be loaded: ${(error as Error).message}`));
  }
  const outcome = h('p', { class: 'outcome', role: 'status' });
  const unsubscribe = (userId: string, row: HTMLElement) =>
    h('button', {
      type: 'button',
      onclick: () =>
        void api('DELETE', `/lists/${enc(listId)}/subscriptions/${enc(userId)}`).then(
          () => {
            row.remove();
            outcome.textContent = `${userId} unsubscribed.`;
          },
          (e: Error) => (outcome.textContent = e.message),
        ),
    }, 'Unsubscribe');
  replace(
    main,
    h('h1', {}, 'List ', h('code', {}, list.id)),
    h('p', { class: 'muted' }, list.name),
    h('h2', {}, 'Subscribers'),
    outcome,
    pagedTable<Subscription>(`/lists/${enc(listId)}/subscriptions`, ['User', 'Subscribed', ''], (s) => {
      const row = h('tr', {}, h('td', {}, h('a', { href: `#/users/${enc(s.recipientId)}` }, s.recipientId)), h('td', {}, when(s.created)));
      row.append(h('td', {}, ctx.can('lists:write') ? unsubscribe(s.recipientId, row) : null));
      return row;
    }, 'Nobody is subscribed yet.'),
    ctx.can('lists:write') ? subscribeForm(ctx, listId) : null,
    sendForm(ctx, { list_id: listId }, 'this list'),
  );
}

function subscribeForm(ctx: Context, listId: string | undefined): HTMLElement {
  const list = h('input', { id: 'subscribe-list', required: true, value: listId ?? '', spellcheck: 'false', autocomplete: 'off' });
  const user = h('input', { id: 'subscribe-user', required: true, spellcheck: 'false', autocomplete: 'off' });
  const message = h('p', { class: 'outcome', role: 'status' });
  const form = h(
    'form',
    {
      onsubmit: (event: Event) => {
        event.preventDefault();
        const id = list.value.trim();
        void api('PUT', `/lists/${enc(id)}/subscriptions/${enc(user.value.trim())}`, {}).then(
          () => ctx.go(`#/lists/${enc(id)}?${Date.now()}`),
          (error: Error & { body?: unknown }) => showFormErrors(form, message, error, (path) => (path === 'list_id' ? 'subscribe-list' : path === 'user_id' ? 'subscribe-user' : undefined)),
        );
      },
    },
    h('h2', {}, 'Subscribe a user'),
    h('label', { for: 'subscribe-list' }, 'List ID (as sports.football.arsenal)'),
    list,
    h('label', { for: 'subscribe-user' }, 'User ID'),
    user,
    message,
    h('button', { type: 'submit', class: 'primary' }, 'Subscribe'),
  );
  return form;
}

export function audiencesView(_ctx: Context, main: HTMLElement): void {
  replace(
    main,
    h('h1', {}, 'Audiences'),
    pagedTable<Audience>('/audiences', ['Audience', 'Name', 'Conditions', 'Updated'], (a) => h('tr', {}, h('td', {}, h('a', { href: `#/audiences/${enc(a.id)}` }, h('code', {}, a.id))), h('td', {}, a.name), h('td', { class: 'num' }, String(a.filter.filters.length)), h('td', {}, when(a.updated_at))), 'No audiences yet. Make one with PUT /audiences/:audience_id and a filter over token fields.'),
  );
}

export async function audienceView(ctx: Context, main: HTMLElement, audienceId: string): Promise<void> {
  replace(main, h('h1', {}, 'Audience ', h('code', {}, audienceId)), notice('loading', 'Loading the audience…'));
  let audience: Audience;
  let count: number;
  try {
    [audience, { count }] = await Promise.all([api<Audience>('GET', `/audiences/${enc(audienceId)}`), api<{ count: number }>('GET', `/audiences/${enc(audienceId)}/count`)]);
  } catch (error) {
    return replace(main, h('h1', {}, 'Audience ', h('code', {}, audienceId)), notice('error', `The audience could not be loaded: ${(error as Error).message}`));
  }
  replace(
    main,
    h('h1', {}, 'Audience ', h('code', {}, audience.id)),
    h('p', { class: 'muted' }, [audience.name, audience.description].filter(Boolean).join(' — ')),
    h('p', { class: 'audience-count' }, h('strong', {}, String(count)), ` active ${count === 1 ? 'token matches' : 'tokens match'} now`),
    h('h2', {}, `Filter (${audience.operator})`),
    h('pre', { class: 'filter' }, JSON.stringify(audience.filter.filters, null, 2)),
    h('h2', {}, 'Members'),
    pagedTable<Member>(`/audiences/${enc(audienceId)}/members`, ['User', 'Provider', 'Token', 'App', 'Platform'], (m) => h('tr', {}, h('td', {}, h('a', { href: `#/users/${enc(m.member_id)}` }, m.member_id)), h('td', {}, m.provider_key), h('td', {}, h('code', {}, shorten(m.token))), h('td', {}, m.app_id ?? '—'), h('td', {}, m.platform ?? '—')), 'No active token matches this filter.'),
    sendForm(ctx, { audience_id: audienceId }, 'this audience'),
  );
}
