import { api, ApiError, enc } from '../api';
import { h, notice, replace, searchForm, shorten, statusBadge, when } from '../dom';
import type { Context } from '../context';
import type { Token } from './user';

/** Paste a token: which user holds it, and its state. */
export async function lookupView(ctx: Context, main: HTMLElement, token?: string): Promise<void> {
  const { form, input } = searchForm({ id: 'token', label: 'Token', button: 'Look up', value: token, go: (value) => ctx.go(`#/lookup/${enc(value)}`) });
  const result = h('div', { id: 'lookup-result' });
  replace(main, h('h1', {}, 'Token lookup'), form, result);
  if (!token) {
    input.focus();
    return replace(result, notice('empty', 'Paste a device token to see which user holds it and its state.'));
  }
  replace(result, notice('loading', 'Looking it up…'));
  try {
    const found = await api<Token>('GET', `/tokens/${enc(token)}`);
    replace(
      result,
      h(
        'div',
        { class: 'card wide' },
        h('p', {}, h('code', { title: found.token }, shorten(found.token)), ' ', statusBadge(found.status), found.status_reason ? h('span', { class: 'reason' }, found.status_reason) : null),
        h('p', {}, 'Held by user ', h('a', { href: `#/users/${enc(found.user_id)}` }, found.user_id), ` (${found.provider_key}); last used `, when(found.last_used_at), '.'),
      ),
    );
  } catch (error) {
    replace(result, error instanceof ApiError && error.status === 404 ? notice('empty', 'No user holds this token in this workspace (or it has expired).') : notice('error', (error as Error).message));
  }
}
