import { z } from 'zod';
import { queryWholeNumber } from './token-schemas';

/**
 * Paging for a workspace's lists keyed by an id of its own choosing (credentials, apps, webhook
 * endpoints): sorted by that id, and the cursor is the last id seen, opaque to clients
 * (base64url). Moves by key, never by offset, so a page is never skipped or repeated while
 * items are added or removed.
 */
export const idPageQuery = z.strictObject({
  limit: queryWholeNumber({ min: 1, max: 100, default: 100 }),
  cursor: z
    .string()
    .max(512)
    .transform((text, ctx) => {
      const id = Buffer.from(text, 'base64url').toString('utf8');
      if (!/^[A-Za-z0-9_-]+$/.test(text) || id.length === 0 || Buffer.from(id, 'utf8').toString('base64url') !== text) {
        ctx.addIssue({ code: 'custom', message: 'is not a cursor this service gave' });
        return z.NEVER;
      }
      return id;
    })
    .optional(),
});
export type IdPage = { limit: number; after?: string };

/** One page of `items` (read with limit + 1): the page, and the cursor of the next one. */
export function pageOf<T>(items: T[], limit: number, idOf: (item: T) => string): { page: T[]; paging: { cursor: string | null; more: boolean } } {
  const page = items.slice(0, limit);
  const more = items.length > limit;
  return { page, paging: { cursor: more ? Buffer.from(idOf(page[page.length - 1]!), 'utf8').toString('base64url') : null, more } };
}
