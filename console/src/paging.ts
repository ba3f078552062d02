import { api, enc } from './api';
import { h, notice, replace } from './dom';

/**
 * Cursor paging behind a "Load more" button, for any list the API pages: `fetch` answers one
 * page from a cursor, `add` shows its items. The button is hidden while there is no next page,
 * and disabled while a page loads; a later page that fails says so under `errors`.
 */
export type Page<T> = { items: T[]; cursor: string | null; more: boolean };

export function cursorPager<T>(options: { button: HTMLButtonElement; errors: HTMLElement; fetch: (cursor: string | null) => Promise<Page<T>>; add: (item: T) => void }) {
  let cursor: string | null = null;
  let loaded = 0;
  const load = async (): Promise<void> => {
    options.button.disabled = true;
    try {
      const page = await options.fetch(cursor);
      for (const item of page.items) options.add(item);
      loaded += page.items.length;
      cursor = page.cursor;
      options.button.hidden = !page.more;
    } finally {
      options.button.disabled = false;
    }
  };
  options.button.addEventListener('click', () => void load().catch((e: Error) => options.errors.append(notice('error', e.message))));
  return { load, loaded: () => loaded };
}

/**
 * A table of one API collection, paged by cursor behind "Load more": `path` answers
 * `{[key]: [...], paging: {cursor, more}}`; `row` draws an item; `empty` is said when there is none.
 */
export function pagedTable<T>(path: string, columns: string[], row: (item: T) => HTMLElement, empty: string, options: { key?: 'items' | 'results'; className?: string } = {}): HTMLElement {
  const key = options.key ?? 'items';
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const errors = h('div');
  const pager = cursorPager<T>({
    button: more,
    errors,
    fetch: async (cursor) => {
      const page = await api<Record<string, unknown> & { paging: { cursor: string | null; more: boolean } }>('GET', `${path}${path.includes('?') ? '&' : '?'}limit=50${cursor ? `&cursor=${enc(cursor)}` : ''}`);
      return { items: page[key] as T[], cursor: page.paging.cursor, more: page.paging.more };
    },
    add: (item) => body.append(row(item)),
  });
  const table = h('table', options.className ? { class: options.className } : {}, h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))), body);
  const wrap = h('div', {}, h('div', { class: 'table-wrap' }, table), more, errors);
  void pager.load().then(
    () => {
      if (pager.loaded() === 0) replace(wrap, notice('empty', empty));
    },
    (e: Error) => replace(wrap, notice('error', e.message)),
  );
  return wrap;
}
