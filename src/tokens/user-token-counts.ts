import type { Collection, Db } from 'mongodb';
import { TOKENS_COLLECTION } from './token-model';

/**
 * The `user_token_counts` collection (docs/storage.md): per user, an upper bound of how many
 * tokens they have stored. Every registration that adds a token to a user (a new token, or one
 * transferred from another user) adds to it, in one update by a unique key; deletions, expiry
 * and transfers away never subtract, so it can only overestimate, until the per-user budget
 * (user-budget.ts) reads the user's tokens and brings it down to what it found. So the common
 * registration (a user with a few tokens) knows it is within the bounds without reading the
 * user's tokens at all, on any MongoDB (mongo-java-server, the development database, serves
 * only unique indexes).
 */
export const USER_TOKEN_COUNTS_COLLECTION = 'user_token_counts';
/** Marks that counts were taken for tokens stored before this collection existed. */
const BACKFILLED = 'backfilled:v1';

type CountDocument = { _id?: unknown; workspace_id: string; user_id: string; tokens: number };

export async function ensureUserTokenCounts(db: Db): Promise<void> {
  const counts = db.collection<CountDocument>(USER_TOKEN_COUNTS_COLLECTION);
  await counts.createIndex({ workspace_id: 1, user_id: 1 }, { unique: true, name: 'workspace_user_unique' });
  const marker = db.collection<{ _id: string }>(USER_TOKEN_COUNTS_COLLECTION);
  if (await marker.findOne({ _id: BACKFILLED })) return;
  // Once, on the first start after upgrading: count what is already stored. Added, never set,
  // so counts of registrations made meanwhile (or by another replica doing the same) can only
  // make it overestimate, which the budget corrects.
  for await (const group of db.collection(TOKENS_COLLECTION).aggregate<{ _id: { w: string; u: string }; n: number }>([{ $group: { _id: { w: '$workspace_id', u: '$user_id' }, n: { $sum: 1 } } }])) {
    await counts.updateOne({ workspace_id: group._id.w, user_id: group._id.u }, { $inc: { tokens: group.n } }, { upsert: true });
  }
  await marker.updateOne({ _id: BACKFILLED }, { $set: { _id: BACKFILLED } }, { upsert: true });
}

export class UserTokenCounts {
  private readonly counts: Collection<CountDocument>;

  constructor(db: Db) {
    this.counts = db.collection<CountDocument>(USER_TOKEN_COUNTS_COLLECTION);
  }

  /** Adds `delta` (negative to correct it down) and answers the new upper bound. */
  async add(workspaceId: string, userId: string, delta: number): Promise<number> {
    const key = { workspace_id: workspaceId, user_id: userId };
    if (delta === 0) return (await this.counts.findOne(key, { projection: { tokens: 1 } }))?.tokens ?? 0;
    const doc = await this.counts.findOneAndUpdate(key, { $inc: { tokens: delta } }, { upsert: true, returnDocument: 'after', projection: { tokens: 1 }, includeResultMetadata: false });
    return doc?.tokens ?? delta;
  }
}
