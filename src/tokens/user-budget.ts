import type { Types } from 'mongoose';
import { measureJson } from './json-measure';
import type { TokenDocument, TokenModel } from './token-model';
import { planUserBudget, type BudgetLimits } from './user-budget-plan';
import type { Bounds, UserTokenCounts } from './user-token-counts';
import { mapWithConcurrency } from '../concurrency';

type Stored = Pick<TokenDocument, '_id' | 'token' | 'user_id' | 'status' | 'properties' | 'device' | 'tracking' | 'expiry_date' | 'updated_at' | 'revision'>;

/**
 * A token's size as the bounds count it: what the client wrote (the token, its user, properties,
 * device and tracking), as compact JSON. Not status_reason: the service sets it too (on
 * invalidation, refresh, eviction), and at most 1 KiB of it per token.
 */
export function storedBytes(doc: Pick<TokenDocument, 'token' | 'user_id'> & { properties?: unknown; device?: unknown; tracking?: unknown }): number {
  return measureJson({ token: doc.token, user_id: doc.user_id, properties: doc.properties ?? {}, device: doc.device, tracking: doc.tracking }).bytes;
}

/**
 * What a write did to a user's tokens, for the bounds: which token, whether it is new to the
 * user, and how many bytes it added (its whole size when new; the growth, possibly negative,
 * when the user already held it, since the older version was counted).
 */
export type WrittenToken = { token: string; added: boolean; bytes: number; /** It was held, but not active, and is active now. */ activated?: boolean };

/**
 * Keeps one user within MAX_TOKENS_PER_USER and MAX_BYTES_PER_USER after a registration
 * (user-budget-plan.ts says what is retired or deleted). Called by every write that can add an
 * active token or grow one: both APIs' registrations, bulk PUT, and PATCH.
 *
 * Each change is conditional on what was read (the revision, or a retired status), so a
 * registration racing with this one is never undone; two racing registrations may each retire
 * one token, leaving the user one under the bound. The counts are corrected by
 * compare-and-set (user-token-counts.ts), so they never fall below what is stored, and the
 * bounds hold once the race is over.
 */
/** Users settled at once by enforceMany. */
const SETTLE_CONCURRENCY = 8;

/**
 * What a write adds to a user's counts: tokens new to them, and bytes. None when nothing is
 * new, nothing larger, and nothing made active again (a device registering its active token
 * again): no bound can be newly passed, and the counts may stay as they are.
 */
function deltaOf(written: readonly WrittenToken[]): Bounds | undefined {
  const added = written.filter((w) => w.added).length;
  const grown = written.reduce((sum, w) => sum + w.bytes, 0);
  if (added === 0 && grown <= 0 && !written.some((w) => w.activated)) return undefined;
  return { tokens: added, bytes: grown };
}

export class UserTokenBudget {
  constructor(
    private readonly model: TokenModel,
    private readonly counts: UserTokenCounts,
    private readonly limits: BudgetLimits,
  ) {}

  /** Answers how many tokens were retired and deleted. `written`: the tokens the request just wrote (never retired). */
  async enforce(workspaceId: string, userId: string, written: readonly WrittenToken[], now: Date): Promise<{ revoked: number; removed: number }> {
    const delta = deltaOf(written);
    if (!delta) return { revoked: 0, removed: 0 };
    return this.settle(workspaceId, userId, written, await this.counts.add(workspaceId, userId, delta), now);
  }

  /**
   * enforce for many users at once (an import's batch): their counts added in one bulk write
   * and read back in one query, and only the users then over a bound read and settled, a few
   * at a time. The same rules as enforce, in two round trips for a batch within its bounds.
   */
  async enforceMany(workspaceId: string, byUser: ReadonlyMap<string, readonly WrittenToken[]>, now: Date): Promise<{ revoked: number; removed: number }> {
    const deltas = new Map<string, Bounds>();
    for (const [userId, written] of byUser) {
      const delta = deltaOf(written);
      if (delta) deltas.set(userId, delta);
    }
    const bounds = await this.counts.addMany(workspaceId, deltas);
    const over = [...bounds].filter(([, bound]) => this.over(bound));
    const results = await mapWithConcurrency(over, SETTLE_CONCURRENCY, ([userId, bound]) => this.settle(workspaceId, userId, byUser.get(userId)!, bound, now));
    return { revoked: results.reduce((n, r) => n + r.revoked, 0), removed: results.reduce((n, r) => n + r.removed, 0) };
  }

  private over(bound: Bounds): boolean {
    return bound.tokens > this.limits.maxTokens || bound.bytes > this.limits.maxBytes;
  }

  /** After the counts were added: within both limits, nothing to read; else the user's tokens are read and brought within them. */
  private async settle(workspaceId: string, userId: string, written: readonly WrittenToken[], bound: Bounds, now: Date): Promise<{ revoked: number; removed: number }> {
    // Upper bounds of everything the user has stored (user-token-counts.ts): within both limits,
    // no active or retired set can be over them, and there is nothing to read.
    if (!this.over(bound)) return { revoked: 0, removed: 0 };
    const keep = written.map((w) => w.token);
    const docs = (await this.model.collection
      .find(
        { workspace_id: workspaceId, user_id: userId },
        { projection: { token: 1, user_id: 1, status: 1, properties: 1, device: 1, tracking: 1, expiry_date: 1, updated_at: 1, revision: 1 } },
      )
      .toArray()) as Stored[];
    const kept = new Set(keep);
    const byId = new Map(docs.map((doc) => [String(doc._id), doc]));
    const measured = docs.map((doc) => ({
      id: String(doc._id),
      active: doc.status === 'active' && (doc.expiry_date === undefined || doc.expiry_date > now),
      updatedAt: doc.updated_at.getTime(),
      bytes: storedBytes(doc),
    }));
    const plan = planUserBudget(
      measured,
      new Set(docs.filter((doc) => kept.has(doc.token)).map((doc) => String(doc._id))),
      this.limits,
      now.getTime(),
    );
    const found = { tokens: docs.length, bytes: measured.reduce((sum, m) => sum + m.bytes, 0) };
    // Down to what was read (less what is deleted below), only if no registration added since
    // our own addition (compare-and-set): theirs may be missing from what we read.
    const correct = (removed: { tokens: number; bytes: number }) =>
      this.counts.correct(workspaceId, userId, bound, { tokens: found.tokens - removed.tokens, bytes: found.bytes - removed.bytes });
    if (plan.revoke.length === 0 && plan.remove.length === 0) {
      await correct({ tokens: 0, bytes: 0 });
      return { revoked: 0, removed: 0 };
    }
    const operations = [
      ...plan.revoke.map(({ id, reason }) => {
        const doc = byId.get(id)!;
        return {
          updateOne: {
            filter: { _id: doc._id, revision: doc.revision, status: 'active' as const },
            update: { $set: { status: 'revoked' as const, status_reason: reason, updated_at: now }, $inc: { revision: 1 } },
          },
        };
      }),
      ...plan.remove.map((id) => {
        const doc = byId.get(id)!;
        // Only if it is still as it was read: a token registered again meanwhile is live.
        return { deleteOne: { filter: { _id: doc._id as Types.ObjectId, revision: doc.revision } } };
      }),
    ];
    const result = await this.model.bulkWrite(operations, { ordered: false });
    // The deletes that landed are gone; their bytes count as gone only when all landed (otherwise an overestimate).
    const removedBytes = measured.filter((m) => plan.remove.includes(m.id)).reduce((sum, m) => sum + m.bytes, 0);
    await correct({ tokens: result.deletedCount, bytes: result.deletedCount === plan.remove.length ? removedBytes : 0 });
    return { revoked: result.modifiedCount, removed: result.deletedCount };
  }
}
