import type { Types } from 'mongoose';
import { measureJson } from './json-measure';
import type { TokenDocument, TokenModel } from './token-model';
import { planUserBudget, type BudgetLimits } from './user-budget-plan';
import { MAX_TOKEN_JSON_BYTES } from './token-fields';
import { UserTokenCounts } from './user-token-counts';

type Stored = Pick<TokenDocument, '_id' | 'token' | 'user_id' | 'status' | 'status_reason' | 'properties' | 'device' | 'tracking' | 'expiry_date' | 'updated_at' | 'revision'>;

/** A token's stored size as the API shows it: its text fields and properties, as compact JSON. */
function storedBytes(doc: Stored): number {
  return measureJson({ token: doc.token, user_id: doc.user_id, status_reason: doc.status_reason, properties: doc.properties, device: doc.device, tracking: doc.tracking }).bytes;
}

/**
 * Keeps one user within MAX_TOKENS_PER_USER and MAX_BYTES_PER_USER after a registration
 * (user-budget-plan.ts says what is retired or deleted). Called by every write that can add an
 * active token or grow one: both APIs' registrations, bulk PUT, and PATCH.
 *
 * Each change is conditional on what was read (the revision, or a retired status), so a
 * registration racing with this one is never undone; two racing registrations may each retire
 * one token, leaving the user one under the bound, never over it for long.
 */
export class UserTokenBudget {
  /**
   * A user with at most this many stored tokens is within both bounds whatever they hold (no
   * token is larger than MAX_TOKEN_JSON_BYTES), so most registrations stop after counting ids.
   */
  private readonly surelyWithin: number;
  private readonly counts: UserTokenCounts;

  constructor(
    private readonly model: TokenModel,
    private readonly limits: BudgetLimits,
  ) {
    this.surelyWithin = Math.min(limits.maxTokens, Math.floor(limits.maxBytes / MAX_TOKEN_JSON_BYTES));
    this.counts = new UserTokenCounts(model.db.getClient().db(model.db.name));
  }

  /**
   * Answers how many tokens were retired and deleted. `keep`: the tokens just written; `added`:
   * how many of them the user did not hold before (new, or transferred from another user).
   */
  async enforce(workspaceId: string, userId: string, keep: readonly string[], added: number, now: Date): Promise<{ revoked: number; removed: number }> {
    // An upper bound of the user's stored tokens (user-token-counts.ts): within it, nothing to read.
    const bound = await this.counts.add(workspaceId, userId, added);
    if (bound <= this.surelyWithin) return { revoked: 0, removed: 0 };
    const docs = (await this.model.collection
      .find(
        { workspace_id: workspaceId, user_id: userId },
        { projection: { token: 1, user_id: 1, status: 1, status_reason: 1, properties: 1, device: 1, tracking: 1, expiry_date: 1, updated_at: 1, revision: 1 } },
      )
      .toArray()) as Stored[];
    const kept = new Set(keep);
    const byId = new Map(docs.map((doc) => [String(doc._id), doc]));
    const plan = planUserBudget(
      docs.map((doc) => ({
        id: String(doc._id),
        active: doc.status === 'active' && (doc.expiry_date === undefined || doc.expiry_date > now),
        updatedAt: doc.updated_at.getTime(),
        bytes: storedBytes(doc),
      })),
      new Set(docs.filter((doc) => kept.has(doc.token)).map((doc) => String(doc._id))),
      this.limits,
      now.getTime(),
    );
    if (plan.revoke.length === 0 && plan.remove.length === 0) {
      await this.counts.add(workspaceId, userId, docs.length - bound);
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
    // Down to what was read, less what was deleted: still an upper bound, as registrations made
    // meanwhile added to it on their own.
    await this.counts.add(workspaceId, userId, docs.length - result.deletedCount - bound);
    return { revoked: result.modifiedCount, removed: result.deletedCount };
  }
}
