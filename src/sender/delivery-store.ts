import type { Types } from 'mongoose';
import { chunk } from '../concurrency';
import type { ReasonCode } from '../providers/reason';
import type { ProviderKey } from '../tokens/token-fields';
import type { TokenDocument, TokenModel } from '../tokens/token-model';
import { sendable } from '../tokens/token-queries';
import { kindQuery } from '../tokens/live-activity';

export type SendableToken = Pick<TokenDocument, '_id' | 'user_id' | 'token' | 'provider_key' | 'revision' | 'apns_environment' | 'keys' | 'last_used_at'> & {
  device?: { app_id?: string };
};
export type SkippedToken = { token: string; user_id: string | null; provider_key: ProviderKey | null; reason: string };
/** What marking a dead token needs: which token, at which revision it was sent, and why. */
export type Invalidation = { tokenId: Types.ObjectId; revision: number; provider: ProviderKey; reason: ReasonCode; invalidSince?: Date };

/** Ids per `$in` when checking which invalidations landed (large `$in`s are slow on some servers). */
const INVALIDATION_CHECK_BATCH = 500;

/**
 * What the sender reads from and writes to the `tokens` collection: the sendable tokens of a
 * target, and afterwards, in bulk, `last_used_at` for deliveries and `failed` for dead tokens.
 */
export class DeliveryStore {
  constructor(private readonly model: TokenModel) {}

  async loadSendable(
    workspaceId: string,
    target: { userIds: readonly string[]; tokens: readonly string[]; where?: Record<string, unknown> },
    now: Date,
  ): Promise<{ sendable: SendableToken[]; skipped: SkippedToken[] }> {
    const projection = { _id: 1, user_id: 1, token: 1, provider_key: 1, revision: 1, 'device.app_id': 1, apns_environment: 1, keys: 1, last_used_at: 1 };
    // A broadcast chunk: the tokens its query matches, already narrowed to sendable ones of the workspace.
    if (target.where) {
      const sendable = await this.model.find({ ...target.where, workspace_id: workspaceId }, projection).sort({ _id: 1 }).lean<SendableToken[]>().exec();
      return { sendable, skipped: [] };
    }
    const byUser = target.userIds.length
      ? await this.model
          // A device's ordinary tokens: a Live Activity's get only Live Activity pushes (target.where).
          .find({ workspace_id: workspaceId, user_id: { $in: [...target.userIds] }, ...sendable(now), ...kindQuery('device') }, projection)
          .sort({ _id: 1 })
          .lean<SendableToken[]>()
          .exec()
      : [];
    const skipped: SkippedToken[] = [];
    const found = new Map(byUser.map((doc) => [doc.token, doc]));
    const explicit = target.tokens.filter((token) => !found.has(token));
    if (explicit.length > 0) {
      const docs = await this.model
        .find({ workspace_id: workspaceId, token: { $in: explicit } }, { ...projection, status: 1, expiry_date: 1, live_activity: 1 })
        .lean<(SendableToken & Pick<TokenDocument, 'status' | 'expiry_date' | 'live_activity'>)[]>()
        .exec();
      const byToken = new Map(docs.map((doc) => [doc.token, doc]));
      for (const token of new Set(explicit)) {
        const doc = byToken.get(token);
        if (!doc || (doc.expiry_date && doc.expiry_date <= now)) {
          skipped.push({ token, user_id: null, provider_key: null, reason: 'not registered' });
        } else if (doc.live_activity) {
          skipped.push({ token, user_id: doc.user_id, provider_key: doc.provider_key, reason: 'is a Live Activity token: it takes message.live_activity pushes only' });
        } else if (doc.status !== 'active') {
          skipped.push({ token, user_id: doc.user_id, provider_key: doc.provider_key, reason: `status is ${doc.status}` });
        } else {
          found.set(token, doc);
        }
      }
    }
    return { sendable: [...found.values()], skipped };
  }

  /** Who and what each token is (user, token, app), by _id: for events about tokens known only by id (Expo receipts). */
  async describe(ids: readonly Types.ObjectId[]): Promise<Map<string, SendableToken>> {
    if (ids.length === 0) return new Map();
    const docs = await this.model.find({ _id: { $in: [...ids] } }, { _id: 1, user_id: 1, token: 1, provider_key: 1, revision: 1, 'device.app_id': 1 }).lean<SendableToken[]>().exec();
    return new Map(docs.map((doc) => [doc._id.toHexString(), doc]));
  }

  /**
   * One bulk write for every delivery, an update by _id each: a single updateMany with a large
   * `$in` is quadratic on some servers (4 s for 9,000 ids on mongo-java-server, against 0.2 s
   * this way). It does not change updated_at: a delivery is not an edit.
   */
  /** `sandbox`: an APNs `auto` delivery that only the sandbox accepted; later sends go straight there. */
  async recordDelivered(deliveries: { _id: Types.ObjectId; sandbox?: boolean }[], now: Date): Promise<void> {
    if (deliveries.length === 0) return;
    await this.model.bulkWrite(
      deliveries.map(({ _id, sandbox }) => ({
        updateOne: { filter: { _id }, update: { $set: { last_used_at: now, ...(sandbox ? { apns_environment: 'sandbox' as const } : {}) } } },
      })),
      { ordered: false },
    );
  }

  /**
   * Marks dead tokens `failed`, exactly once, and only if nothing has changed them since they
   * were loaded for this send (same revision, still active). For an APNs 410 with a timestamp,
   * only if the token was not registered or updated after that moment (Apple delays 410s).
   * Answers the ids whose write landed.
   */
  async recordInvalid(invalidations: Invalidation[], now: Date): Promise<Set<string>> {
    if (invalidations.length === 0) return new Set();
    const result = await this.model.bulkWrite(
      invalidations.map(({ tokenId, revision, reason, invalidSince }) => ({
        updateOne: {
          filter: {
            _id: tokenId,
            status: 'active' as const,
            revision,
            ...(invalidSince ? { updated_at: { $lte: invalidSince } } : {}),
          },
          update: { $set: { status: 'failed' as const, status_reason: reason, updated_at: now }, $inc: { revision: 1 } },
        },
      })),
      { ordered: false },
    );
    // The usual case: every write landed, and the count says so without another query.
    if (result.modifiedCount === invalidations.length) return new Set(invalidations.map(({ tokenId }) => tokenId.toHexString()));
    return this.landed(invalidations, now);
  }

  /**
   * Which of these invalidations, written at `at` (updated_at), landed: the tokens now failed
   * at exactly the revision after the one each was sent (or patched) at. Asked again, it
   * answers the same, which is what makes applying a send result twice change nothing.
   */
  async landed(invalidations: readonly Pick<Invalidation, 'tokenId' | 'revision'>[], at: Date): Promise<Set<string>> {
    const now = at;
    const landed = new Set<string>();
    for (const batch of chunk(invalidations, INVALIDATION_CHECK_BATCH)) {
      const docs = await this.model
        .find({ _id: { $in: batch.map(({ tokenId }) => tokenId) }, status: 'failed', updated_at: now }, { _id: 1, revision: 1 })
        .lean<Pick<TokenDocument, '_id' | 'revision'>[]>()
        .exec();
      const expected = new Map(batch.map(({ tokenId, revision }) => [tokenId.toHexString(), revision + 1]));
      for (const doc of docs) if (expected.get(doc._id.toHexString()) === doc.revision) landed.add(doc._id.toHexString());
    }
    return landed;
  }
}
