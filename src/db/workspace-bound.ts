import type { Collection, Document } from 'mongodb';
import { ConflictError } from '../errors';

/**
 * A workspace at its bound for a kind of thing (MAX_CREDENTIALS, MAX_APPS,
 * MAX_WEBHOOK_ENDPOINTS) can't create another: a 409 naming the setting. Counted up to the
 * bound only, before the write, so creates racing each other may pass it by their own number.
 */
export async function refuseOverBound<T extends Document & { workspace_id: string }>(collection: Collection<T>, workspaceId: string, max: number, what: string, setting: string): Promise<void> {
  const count = await (collection as unknown as Collection<{ workspace_id: string }>).countDocuments({ workspace_id: workspaceId }, { limit: max });
  if (count >= max) throw new ConflictError(`This workspace has ${max} ${what}, the most it may have (${setting}); delete one first`);
}
