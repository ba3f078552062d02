import { notice } from './dom';

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
