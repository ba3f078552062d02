import type { Collection, Db } from 'mongodb';
import { TOKENS_COLLECTION } from './token-model';
import { MAX_TOKEN_JSON_BYTES } from './token-fields';
import { MAX_WRITE_ATTEMPTS } from './upsert-retry';

/**
 * The `user_token_counts` collection (docs/storage.md): per user, upper bounds of how many
 * tokens they have stored and of their bytes. Every registration adds to both, in one update by
 * a unique key: a token new to the user adds one, and every write adds the bytes it wrote
 * (even over an older version of the same token, which is still counted: that only
 * overestimates). Deletions, expiry and transfers away never subtract, so both can only
 * overestimate, until the per-user budget (user-budget.ts) reads the user's tokens and brings
 * them down to what it found, by compare-and-set: only if the counts still hold what that
 * budget's own addition made them. A registration that added meanwhile makes the set miss (the
 * counts stay an overestimate); two budgets correcting at once can't both subtract. While both are within MAX_TOKENS_PER_USER and MAX_BYTES_PER_USER,
 * no bound can be passed, and a registration reads none of the user's tokens, on any MongoDB
 * (mongo-java-server, the development database, serves only unique indexes).
 */
export const USER_TOKEN_COUNTS_COLLECTION = 'user_token_counts';
/** Marks that counts were taken for tokens stored before this collection existed. */
const BACKFILLED = 'backfilled:v1';

type CountDocument = { _id?: unknown; workspace_id: string; user_id: string; tokens: number; bytes: number };
export type Bounds = { tokens: number; bytes: number };

export async function ensureUserTokenCounts(db: Db): Promise<void> {
  const counts = db.collection<CountDocument>(USER_TOKEN_COUNTS_COLLECTION);
  await counts.createIndex({ workspace_id: 1, user_id: 1 }, { unique: true, name: 'workspace_user_unique' });
  const marker = db.collection<{ _id: string }>(USER_TOKEN_COUNTS_COLLECTION);
  if (await marker.findOne({ _id: BACKFILLED })) return;
  // Once, on the first start after upgrading: count what is already stored. Added, never set,
  // so counts of registrations made meanwhile (or by another replica doing the same) can only
  // make it overestimate, which the budget corrects.
  for await (const group of db.collection(TOKENS_COLLECTION).aggregate<{ _id: { w: string; u: string }; n: number }>([{ $group: { _id: { w: '$workspace_id', u: '$user_id' }, n: { $sum: 1 } } }])) {
    // Their sizes are not known without reading them: the largest a token can be, until the budget reads them.
    await counts.updateOne({ workspace_id: group._id.w, user_id: group._id.u }, { $inc: { tokens: group.n, bytes: group.n * MAX_TOKEN_JSON_BYTES } }, { upsert: true });
  }
  await marker.updateOne({ _id: BACKFILLED }, { $set: { _id: BACKFILLED } }, { upsert: true });
}

export class UserTokenCounts {
  private readonly counts: Collection<CountDocument>;

  constructor(db: Db) {
    this.counts = db.collection<CountDocument>(USER_TOKEN_COUNTS_COLLECTION);
  }

  /**
   * Sets the counts to `to` only if they still hold `read` (compare-and-set). Answers whether it
   * did. A missed set leaves an overestimate, which is safe: the next registration reads again.
   */
  async correct(workspaceId: string, userId: string, read: Bounds, to: Bounds): Promise<boolean> {
    const result = await this.counts.updateOne({ workspace_id: workspaceId, user_id: userId, tokens: read.tokens, bytes: read.bytes }, { $set: { tokens: Math.max(0, to.tokens), bytes: Math.max(0, to.bytes) } });
    return result.modifiedCount === 1 || result.matchedCount === 1;
  }

  /**
   * add for many users of one workspace: one unordered bulk write, then one read of them all.
   * A new user's upsert that lost an insert race to another registration is added again (once
   * the other's document exists, the $inc lands on it).
   */
  async addMany(workspaceId: string, deltas: ReadonlyMap<string, Bounds>): Promise<Map<string, Bounds>> {
    if (deltas.size === 0) return new Map();
    const op = (userId: string, delta: Bounds) => ({ updateOne: { filter: { workspace_id: workspaceId, user_id: userId }, update: { $inc: { tokens: delta.tokens, bytes: delta.bytes } }, upsert: true } });
    let pending = [...deltas];
    for (let attempt = 1; pending.length > 0; attempt++) {
      try {
        await this.counts.bulkWrite(pending.map(([userId, delta]) => op(userId, delta)), { ordered: false });
        pending = [];
      } catch (error) {
        const errors = (error as { writeErrors?: { index: number; code: number } | { index: number; code: number }[] }).writeErrors;
        const failed = Array.isArray(errors) ? errors : errors ? [errors] : undefined;
        if (!failed || attempt >= MAX_WRITE_ATTEMPTS || failed.some((e) => e.code !== 11000)) throw error;
        pending = failed.map((e) => pending[e.index]!);
      }
    }
    const docs = await this.counts.find({ workspace_id: workspaceId, user_id: { $in: [...deltas.keys()] } }, { projection: { user_id: 1, tokens: 1, bytes: 1 } }).toArray();
    return new Map(docs.map((doc) => [doc.user_id, { tokens: doc.tokens, bytes: doc.bytes }]));
  }

  /** Adds `delta` and answers the new upper bounds. */
  async add(workspaceId: string, userId: string, delta: Bounds): Promise<Bounds> {
    const doc = await this.counts.findOneAndUpdate(
      { workspace_id: workspaceId, user_id: userId },
      { $inc: { tokens: delta.tokens, bytes: delta.bytes } },
      { upsert: true, returnDocument: 'after', projection: { tokens: 1, bytes: 1 }, includeResultMetadata: false },
    );
    return { tokens: doc?.tokens ?? delta.tokens, bytes: doc?.bytes ?? delta.bytes };
  }
}
