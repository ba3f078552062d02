import { api, ApiError, session, whenUnauthorized, type KeyInfo } from './api';
import { h, notice, replace } from './dom';
import { overviewView } from './views/overview';
import { userView } from './views/user';
import { lookupView } from './views/lookup';
import { appsView } from './views/apps';
import { messageView, messagesView } from './views/messages';
import { webhooksView } from './views/webhooks';
import { audiencesView, audienceView, listsView, listView } from './views/audiences';
import type { Context } from './context';

/**
 * The operator's console: sign in with an API key, then the overview, a user's tokens, a token
 * lookup, the message log, and the workspace's apps and credentials. Routing is by hash (#/users/alice), so the
 * service serves one static page and a reload keeps the place.
 */
type View = { path: RegExp; title: string; nav?: string; scope?: string; render: (ctx: Context, main: HTMLElement, match: RegExpMatchArray) => void | Promise<void> };

const VIEWS: View[] = [
  { path: /^#\/overview$/, title: 'Overview', nav: '#/overview', scope: 'tokens:read', render: overviewView },
  { path: /^#\/users(?:\/(.+))?$/, title: 'Users', nav: '#/users', scope: 'tokens:read', render: (ctx, main, m) => userView(ctx, main, m[1] ? decodeURIComponent(m[1]) : undefined) },
  { path: /^#\/lookup(?:\/(.+))?$/, title: 'Token lookup', nav: '#/lookup', scope: 'tokens:read', render: (ctx, main, m) => lookupView(ctx, main, m[1] ? decodeURIComponent(m[1]) : undefined) },
  { path: /^#\/messages(?:\?(.*))?$/, title: 'Messages', nav: '#/messages', scope: 'messages:read', render: (ctx, main, m) => messagesView(ctx, main, new URLSearchParams(m[1] ?? '')) },
  { path: /^#\/message\/(.+)$/, title: 'Message', scope: 'messages:read', render: (ctx, main, m) => messageView(ctx, main, decodeURIComponent(m[1]!)) },
  { path: /^#\/lists$/, title: 'Lists', nav: '#/lists', scope: 'lists:read', render: (ctx, main) => listsView(ctx, main) },
  { path: /^#\/lists\/([^?]+)(?:\?.*)?$/, title: 'List', scope: 'lists:read', render: (ctx, main, m) => listView(ctx, main, decodeURIComponent(m[1]!)) },
  { path: /^#\/audiences$/, title: 'Audiences', nav: '#/audiences', scope: 'audiences:read', render: (ctx, main) => audiencesView(ctx, main) },
  { path: /^#\/audiences\/(.+)$/, title: 'Audience', scope: 'audiences:read', render: (ctx, main, m) => audienceView(ctx, main, decodeURIComponent(m[1]!)) },
  { path: /^#\/webhooks$/, title: 'Webhooks', nav: '#/webhooks', scope: 'webhooks:read', render: (ctx, main) => webhooksView(ctx, main) },
  { path: /^#\/apps$/, title: 'Apps & credentials', nav: '#/apps', scope: 'apps:read', render: (ctx, main) => appsView(ctx, main) },
];

const root = document.getElementById('app')!;
let current: KeyInfo | undefined;

whenUnauthorized(() => {
  session.clear();
  current = undefined;
  signIn('Your API key is no longer accepted. Sign in again.');
});

function signIn(message?: string): void {
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const error = h('p', { class: 'notice notice-error', role: 'alert', hidden: !message }, message ?? '');
  const form = h(
    'form',
    { class: 'sign-in', onsubmit: (event: Event) => void submit(event) },
    h('h1', {}, 'push-token-registry'),
    h('p', { class: 'muted' }, 'Sign in with an API key of your workspace. It is kept in this tab only, and forgotten when the tab closes.'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  async function submit(event: Event) {
    event.preventDefault();
    const key = input.value.trim();
    error.hidden = true;
    try {
      const info = await api<KeyInfo>('GET', '/auth/key', undefined, key);
      session.save(key);
      current = info;
      if (!location.hash || location.hash === '#/') location.hash = firstView(info);
      render();
    } catch (e) {
      error.textContent = e instanceof ApiError && (e.status === 401 || e.status === 403) ? 'This API key was not accepted. Check it and try again.' : (e as Error).message;
      error.hidden = false;
      input.select();
    }
  }
  replace(root, h('main', { class: 'centered' }, form));
  input.focus();
}

function firstView(info: KeyInfo): string {
  const can = (scope: string) => info.scopes.includes(scope);
  return VIEWS.find((view) => !view.scope || can(view.scope))?.nav ?? '#/overview';
}

async function render(): Promise<void> {
  if (!current) {
    const key = session.key();
    if (!key) return signIn();
    try {
      current = await api<KeyInfo>('GET', '/auth/key');
    } catch {
      return signIn(session.key() ? 'The service could not be reached. Try again.' : undefined);
    }
  }
  const info = current;
  const ctx: Context = { key: info, can: (scope) => info.scopes.includes(scope), go: (hash) => (location.hash = hash) };
  const hash = location.hash || firstView(info);
  const view = VIEWS.find((v) => v.path.test(hash));
  const main = h('main', { id: 'main', tabindex: '-1' });
  const nav = h(
    'nav',
    { 'aria-label': 'Console' },
    h('span', { class: 'brand' }, 'push-token-registry'),
    h('ul', {}, VIEWS.filter((v) => v.nav && (!v.scope || ctx.can(v.scope))).map((v) => h('li', {}, h('a', { href: v.nav!, 'aria-current': view === v ? 'page' : undefined }, v.title)))),
    h('span', { class: 'who', title: `Scopes: ${info.scopes.join(', ')}` }, `${info.workspace_id} · key ${info.key_hint}`),
    h('button', { type: 'button', onclick: () => (session.clear(), (current = undefined), signIn('Signed out.')) }, 'Sign out'),
  );
  replace(root, h('header', {}, nav), main);
  if (!view) return replace(main, notice('error', 'There is no such page.'));
  if (view.scope && !ctx.can(view.scope)) return replace(main, notice('error', `This key lacks the ${view.scope} scope this page needs.`));
  document.title = `${view.title} · push-token-registry`;
  await view.render(ctx, main, hash.match(view.path)!);
}

window.addEventListener('hashchange', () => void render());
void render();
