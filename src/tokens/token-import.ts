import { isDeepStrictEqual } from 'node:util';
import type { AnyBulkWriteOperation } from 'mongodb';
import type { Duration } from '../duration';
import type { Registration, TokenStatus } from './token-fields';
import type { TokenDocument, TokenModel } from './token-model';
import { registrationUpdate, written } from './token-registry';
import { retryOnDuplicateKey } from './upsert-retry';
import type { UserTokenBudget, WrittenToken } from './user-budget';

/**
 * Tokens written in bulk (`admin import`, src/cli/import): the same whole-token write as a PUT
 * (registrationUpdate), the same transfer rule (a token another user held moves, and starts a
 * new life), and the same per-user bounds with their eviction (UserTokenBudget), a batch at a
 * time: one read of the batch's tokens, one bulk write, then each touched user's bounds.
 *
 * A row may carry a token's state as our own export writes it (status, reason, times), so an
 * export imported elsewhere is the same tokens. A row already stored as it would be written is
 * `unchanged` and not written again: importing a file twice leaves what importing it once left.
 * Imports send no webhooks and count no registration metrics: nothing was registered by an app.
 */
export type ImportState = { status: TokenStatus; status_reason: string | null; created_at?: Date; updated_at?: Date; last_used_at?: Date | null };
export type ImportRow = { user_id: string; token: string; registration: Registration; state?: ImportState };
export type ImportOutcome = 'created' | 'updated' | 'transferred' | 'unchanged';
export type ImportPlan = {
  outcomes: ImportOutcome[];
  inserts: { row: ImportRow; document: TokenDocument; update: Record<string, unknown> }[];
  updates: { row: ImportRow; id: TokenDocument['_id']; update: Record<string, unknown> }[];
  byUser: Map<string, WrittenToken[]>;
};
type WriteFailure = { index: number; code: number };

type Stored = Pick<TokenDocument, '_id' | 'token' | 'user_id' | 'provider_key' | 'status' | 'status_reason' | 'properties' | 'device' | 'tracking' | 'expiry_date' | 'keys' | 'live_activity' | 'created_at' | 'updated_at' | 'last_used_at'>;
const STORED_FIELDS = { token: 1, user_id: 1, provider_key: 1, status: 1, status_reason: 1, properties: 1, device: 1, tracking: 1, expiry_date: 1, keys: 1, live_activity: 1, created_at: 1, updated_at: 1, last_used_at: 1 } as const;

export class TokenImporter {
  constructor(
    private readonly model: TokenModel,
    private readonly options: { defaultTtl: Duration; budget?: UserTokenBudget | undefined },
  ) {}

  /**
   * What writing one batch (each token at most once in it) would do: each row's outcome, in
   * order, and the writes. Reads the batch's stored tokens once; writes nothing. A token not
   * stored at all is inserted; a stored one is updated by its _id (so no write needs more than
   * the unique keys to find its document).
   */
  async plan(workspaceId: string, rows: readonly ImportRow[], now: Date): Promise<ImportPlan> {
    if (rows.length === 0) return { outcomes: [], inserts: [], updates: [], byUser: new Map() };
    const stored = (await this.model.collection.find({ workspace_id: workspaceId, token: { $in: rows.map((r) => r.token) } }, { projection: STORED_FIELDS }).toArray()) as Stored[];
    const byToken = new Map(stored.map((doc) => [doc.token, doc]));
    const plan: ImportPlan = { outcomes: [], inserts: [], updates: [], byUser: new Map() };
    for (const row of rows) {
      const before = byToken.get(row.token);
      const live = before !== undefined && !(before.expiry_date !== undefined && before.expiry_date <= now);
      const outcome: ImportOutcome = !live ? 'created' : before.user_id !== row.user_id ? 'transferred' : sameAsStored(row, before) ? 'unchanged' : 'updated';
      plan.outcomes.push(outcome);
      if (outcome === 'unchanged') continue;
      const update = this.update(row, now, outcome !== 'updated');
      if (before === undefined) plan.inserts.push({ row, document: { workspace_id: workspaceId, token: row.token, ...insertedFields(update) } as TokenDocument, update });
      else plan.updates.push({ row, id: before._id, update });
      const users = plan.byUser.get(row.user_id) ?? [];
      users.push(written(row.user_id, row.token, row.registration, outcome === 'updated' ? before : undefined));
      plan.byUser.set(row.user_id, users);
    }
    return plan;
  }

  /**
   * Writes a planned batch in one unordered bulk write, then keeps each user it touched within
   * the per-user bounds. A write that lost a race with a registration made meanwhile (an insert
   * of a token just registered, an update of one just deleted) is done again as a PUT's upsert.
   */
  async apply(workspaceId: string, plan: ImportPlan, now: Date): Promise<{ revoked: number; removed: number }> {
    if (plan.inserts.length + plan.updates.length === 0) return { revoked: 0, removed: 0 };
    const ops: AnyBulkWriteOperation<TokenDocument>[] = [
      ...plan.inserts.map(({ document }) => ({ insertOne: { document } })),
      ...plan.updates.map(({ id, update }) => ({ updateOne: { filter: { _id: id }, update } })),
    ];
    const again: ImportRow[] = [];
    const againUpdates: Record<string, unknown>[] = [];
    try {
      const result = await this.model.collection.bulkWrite(ops as AnyBulkWriteOperation[], { ordered: false });
      if (result.matchedCount < plan.updates.length) plan.updates.forEach(({ row, update }) => (again.push(row), againUpdates.push(update)));
    } catch (error) {
      const errors = (error as { writeErrors?: WriteFailure | WriteFailure[]; result?: { matchedCount?: number } }).writeErrors;
      const failed = Array.isArray(errors) ? errors : errors ? [errors] : [];
      if (failed.length === 0 || failed.some((e) => e.code !== 11000)) throw error;
      for (const { index } of failed) {
        const insert = plan.inserts[index]!;
        again.push(insert.row);
        againUpdates.push(insert.update);
      }
      const matched = (error as { result?: { matchedCount?: number } }).result?.matchedCount;
      if (matched !== undefined && matched < plan.updates.length) plan.updates.forEach(({ row, update }) => (again.push(row), againUpdates.push(update)));
    }
    if (again.length > 0) {
      await retryOnDuplicateKey(() =>
        this.model.collection.bulkWrite(again.map((row, i) => ({ updateOne: { filter: { workspace_id: workspaceId, token: row.token }, update: againUpdates[i]!, upsert: true } })), { ordered: false }),
      );
    }
    return this.options.budget ? this.options.budget.enforceMany(workspaceId, plan.byUser, now) : { revoked: 0, removed: 0 };
  }

  /** A PUT's update, with the row's own state (an export's status and times) when it has one; a new life when new to the user. */
  private update(row: ImportRow, now: Date, newLife: boolean): Record<string, unknown> {
    const update = registrationUpdate(row.user_id, row.registration, now, this.options.defaultTtl) as { $set: Record<string, unknown>; $setOnInsert: Record<string, unknown> } & Record<string, unknown>;
    const state = row.state;
    if (state) {
      update.$set.status = state.status;
      update.$set.status_reason = state.status_reason;
      if (state.updated_at) update.$set.updated_at = state.updated_at;
    }
    const life = { created_at: state?.created_at ?? now, last_used_at: state?.last_used_at ?? null };
    if (newLife) {
      // Created, or moved from another user: either way the token's history starts here ($set, so an existing document gets it too).
      Object.assign(update.$set, life);
      update.$setOnInsert = { _id: update.$setOnInsert._id };
    }
    return update;
  }
}

/**
 * Whether writing the row would change nothing a reader sees. A row without an expiry of its own
 * leaves the stored one (the default expiry counts from the first import), and one without a
 * state leaves the stored times.
 */
function sameAsStored(row: ImportRow, stored: Stored): boolean {
  const r = row.registration;
  const wanted = {
    provider_key: r.provider_key,
    status: row.state?.status ?? 'active',
    status_reason: row.state ? row.state.status_reason : null,
    properties: r.properties ?? {},
    device: r.device ?? undefined,
    tracking: r.tracking ?? undefined,
    keys: r.keys ?? undefined,
    live_activity: r.live_activity ?? undefined,
  };
  const have = {
    provider_key: stored.provider_key,
    status: stored.status,
    status_reason: stored.status_reason ?? null,
    properties: stored.properties ?? {},
    device: stored.device ?? undefined,
    tracking: stored.tracking ?? undefined,
    keys: stored.keys ? { p256dh: stored.keys.p256dh, auth: stored.keys.auth } : undefined,
    live_activity: stored.live_activity ?? undefined,
  };
  if (!isDeepStrictEqual(plain(wanted), plain(have))) return false;
  if (typeof r.expiry_date === 'string' && stored.expiry_date?.getTime() !== new Date(r.expiry_date).getTime()) return false;
  if (r.expiry_date === false && stored.expiry_date !== undefined) return false;
  const state = row.state;
  if (state?.created_at && stored.created_at.getTime() !== state.created_at.getTime()) return false;
  if (state?.updated_at && stored.updated_at.getTime() !== state.updated_at.getTime()) return false;
  if (state && state.last_used_at !== undefined && (stored.last_used_at?.getTime() ?? null) !== (state.last_used_at?.getTime() ?? null)) return false;
  return true;
}

/** The document an insert writes: the update's $set, $setOnInsert and $inc as fields ($unset fields are simply absent). */
function insertedFields(update: Record<string, unknown>): Record<string, unknown> {
  const { $set, $setOnInsert, $inc } = update as { $set?: object; $setOnInsert?: object; $inc?: object };
  return { ...$setOnInsert, ...$set, ...$inc };
}

/** Without undefined fields, and with plain objects (a stored subdocument may be a driver object). */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
