import { api, enc } from '../api';
import { focusOn, h, notice, replace, showFormErrors, when } from '../dom';
import type { Context } from '../context';

/**
 * Webhook endpoints (docs/webhooks.md): the list with each endpoint's recent attempts, a test
 * button, enabling and disabling, and a form to add one, whose secret is shown once, right after.
 */
type Endpoint = { id: string; url: string; events: string[]; description: string | null; disabled: boolean; disabled_reason: string | null; created_at: string };
type Attempt = { event_id: string; type: string; at: string; status: number | null; duration_ms: number; error: string | null; next_retry: string | null };
const EVENTS = ['token.invalidated', 'message.updated', 'delivery.held', 'webhook.test'];

export async function webhooksView(ctx: Context, main: HTMLElement, created?: { endpoint: string; secret: string }): Promise<void> {
  replace(main, h('h1', {}, 'Webhooks'), notice('loading', 'Loading endpoints…'));
  let endpoints: Endpoint[];
  try {
    endpoints = (await api<{ webhooks: Endpoint[] }>('GET', '/webhooks')).webhooks;
  } catch (error) {
    return replace(main, h('h1', {}, 'Webhooks'), notice('error', `The endpoints could not be loaded: ${(error as Error).message}`));
  }
  const secretBox = created
    ? h(
        'div',
        { class: 'secret-once', role: 'status' },
        h('p', {}, h('strong', {}, 'Copy this signing secret now: it is shown only once.')),
        h('code', { id: 'new-secret' }, created.secret),
      )
    : null;
  replace(
    main,
    h('h1', {}, 'Webhooks'),
    secretBox,
    endpoints.length === 0 ? notice('empty', 'No endpoints yet. Add one to hear when tokens die or messages change.') : h('ul', { class: 'tokens', 'aria-label': 'Webhook endpoints' }, endpoints.map((e) => endpointItem(ctx, main, e))),
    ctx.can('webhooks:write') ? createForm(ctx, main) : null,
  );
  if (secretBox) focusOn(secretBox);
}

function endpointItem(ctx: Context, main: HTMLElement, endpoint: Endpoint): HTMLElement {
  const attempts = h('div', { class: 'attempts' });
  const outcome = h('p', { class: 'outcome', role: 'status' });
  const path = `/webhooks/${enc(endpoint.id)}`;
  const showAttempts = async () => {
    const page = await api<{ results: Attempt[] }>('GET', `${path}/attempts?limit=10`);
    replace(
      attempts,
      page.results.length === 0
        ? notice('empty', 'No attempts yet.')
        : h('table', { class: 'webhook-attempts' }, h('thead', {}, h('tr', {}, ['When', 'Event', 'Status', 'Time', 'Error', 'Next retry'].map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, page.results.map((a) => h('tr', {}, h('td', {}, when(a.at)), h('td', {}, a.type), h('td', {}, a.status === null ? '—' : String(a.status)), h('td', { class: 'num' }, `${a.duration_ms} ms`), h('td', { class: 'reason' }, a.error ?? ''), h('td', {}, a.next_retry ? when(a.next_retry) : '—'))))),
    );
  };
  /** After a test event: the attempts again each second for a while, as the dispatcher delivers within seconds. */
  const watchAttempts = (times: number) => {
    if (times <= 0) return;
    setTimeout(() => void showAttempts().then(() => watchAttempts(times - 1), () => undefined), 1_000);
  };
  const act = (label: string, run: () => Promise<unknown>, done: string) =>
    h('button', {
      type: 'button',
      onclick: () =>
        void run().then(
          () => {
            outcome.textContent = done;
            watchAttempts(10);
          },
          (e: Error) => (outcome.textContent = e.message),
        ),
    }, label);
  const actions = ctx.can('webhooks:write')
    ? h(
        'div',
        { class: 'actions' },
        act('Send test event', () => api('POST', `${path}/test`), 'A webhook.test event is queued; its attempt shows below within seconds.'),
        h('button', { type: 'button', onclick: () => void api('PATCH', path, { disabled: !endpoint.disabled }).then(() => webhooksView(ctx, main), (e: Error) => (outcome.textContent = e.message)) }, endpoint.disabled ? 'Enable' : 'Disable'),
        h('button', { type: 'button', class: 'danger', onclick: () => confirm(`Delete the endpoint ${endpoint.url}?`) && void api('DELETE', path).then(() => webhooksView(ctx, main), (e: Error) => (outcome.textContent = e.message)) }, 'Delete'),
      )
    : null;
  void showAttempts().catch((e: Error) => replace(attempts, notice('error', e.message)));
  return h(
    'li',
    { class: 'token webhook' },
    h('div', { class: 'token-head' }, h('code', {}, endpoint.url), h('span', { class: `badge badge-${endpoint.disabled ? 'revoked' : 'active'}` }, endpoint.disabled ? 'disabled' : 'enabled'), endpoint.disabled_reason ? h('span', { class: 'reason' }, endpoint.disabled_reason) : null),
    h('p', { class: 'muted' }, `${endpoint.events.join(', ')}${endpoint.description ? ` — ${endpoint.description}` : ''}`),
    actions,
    outcome,
    h('h3', {}, 'Recent attempts'),
    attempts,
  );
}

function createForm(ctx: Context, main: HTMLElement): HTMLElement {
  const url = h('input', { id: 'webhook-url', type: 'url', required: true, placeholder: 'https://api.example.com/push-hooks', spellcheck: 'false' });
  const description = h('input', { id: 'webhook-description', type: 'text' });
  const boxes = EVENTS.map((event) => h('input', { type: 'checkbox', value: event, id: `webhook-event-${event}`, checked: event !== 'webhook.test' }));
  const message = h('p', { class: 'form-message', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'webhook-form',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const events = boxes.filter((b) => b.checked).map((b) => b.value);
        void api<{ id: string; secret: string }>('POST', '/webhooks', { url: url.value.trim(), events, ...(description.value.trim() ? { description: description.value.trim() } : {}) }).then(
          (created) => webhooksView(ctx, main, { endpoint: created.id, secret: created.secret }),
          (error: Error & { body?: unknown }) => showFormErrors(form, message, error, (path) => (path === 'url' ? 'webhook-url' : path === 'description' ? 'webhook-description' : undefined)),
        );
      },
    },
    h('h2', {}, 'Add an endpoint'),
    h('label', { for: 'webhook-url' }, 'URL'),
    url,
    h('label', { for: 'webhook-description' }, 'Description'),
    description,
    h('fieldset', {}, h('legend', {}, 'Events'), boxes.map((box) => h('label', { class: 'check' }, box, ` ${box.value}`))),
    message,
    h('button', { type: 'submit', class: 'primary' }, 'Add endpoint'),
  );
  return form;
}
