import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';

/**
 * Idempotency-Key records for POST /send (collection `idempotency_keys`, docs/storage.md), per
 * workspace, shared by every replica through MongoDB's unique _id:
 * - the first request with a key inserts a `running` record and goes ahead;
 * - a repeat with the same body gets the kept answer, or a 409 while the first still runs;
 * - a repeat with another body is a 422;
 * - an answer is kept when it is a 2xx. A request that fails before anything was sent
 *   (MongoDB unavailable before dispatch) releases the key, so the client's retry may run.
 *   From dispatch on, the key is never released: the answer is kept, or, if even that write
 *   failed, the record stays `running`, and repeats get a 409.
 * - a record left `running` past LOCK_MS (its holder died, or could not write its answer) is
 *   taken over only when its request sent nothing (no message of its request_id exists; the
 *   messages are written before dispatch). Otherwise a repeat gets 202 {requestId}, Courier's
 *   own answer to a send, whose outcome GET /messages/:requestId shows: a retry never sends twice.
 * Every write of a holder is conditional on its request_id, so a holder that was taken over can
 * neither complete nor release its successor's record.
 * Records expire after IDEMPOTENCY_TTL (a TTL index; an expired record that MongoDB has not yet
 * deleted counts as gone).
 */
/**
 * An answer as kept: a send's results hold token hints (`****1234`) only, as the message log
 * does, with each result's token _id beside them (`token_ids`), so a replay to a caller with
 * tokens:read can show whole tokens read from the registry while they exist.
 */
export type KeptAnswer = { status: number; body: unknown; token_ids?: (string | null)[] };
export type Begun =
  | { kind: 'new' }
  | { kind: 'replay'; answer: KeptAnswer }
  | { kind: 'mismatch' }
  | { kind: 'running' };

type IdempotencyDocument = {
  _id: string;
  workspace_id: string;
  key: string;
  /** sha256 of the request body, canonical JSON (key order does not matter). */
  body_hash: string;
  state: 'running' | 'done';
  /** The holder's request (its requestId): completing and releasing are conditional on it. */
  request_id?: string;
  /** While running: when another request may take the key over (its holder presumably died). */
  locked_until: Date;
  answer?: KeptAnswer;
  created_at: Date;
  expires_at: Date;
};

/** 1–255 printable ASCII characters, as Stripe and Courier take them. */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;
const LOCK_MS = 5 * 60_000;
/** How long a kept answer that MongoDB refused is tried again (past it, repeats get 202 {requestId} once LOCK_MS has passed). */
const KEEP_TRYING_MS = 10 * 60_000;
const COLLECTION = 'idempotency_keys';

export async function ensureIdempotencyIndexes(db: Db): Promise<void> {
  await db.collection(COLLECTION).createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
}

/** Canonical JSON: object keys sorted, so `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same body. */
export function bodyHash(body: unknown): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
    return value;
  };
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('hex');
}

export class IdempotencyStore {
  private readonly collection: Collection<IdempotencyDocument>;

  constructor(
    db: Db,
    private readonly ttlMs: number,
  ) {
    this.collection = db.collection<IdempotencyDocument>(COLLECTION);
  }

  /** `sent`: whether a request sent anything (its messages exist), asked of a record whose holder is gone. */
  async begin(workspaceId: string, key: string, hash: string, requestId: string, now: Date, sent: (requestId: string) => Promise<boolean>): Promise<Begun> {
    const _id = `${workspaceId}:${key}`;
    const fresh: IdempotencyDocument = {
      _id, workspace_id: workspaceId, key, body_hash: hash, state: 'running', request_id: requestId,
      locked_until: new Date(now.getTime() + LOCK_MS), created_at: now, expires_at: new Date(now.getTime() + this.ttlMs),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.collection.insertOne(fresh);
        return { kind: 'new' };
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
      }
      const existing = await this.collection.findOne({ _id });
      if (!existing) continue; // deleted (released or expired) in between: try again
      const stale = existing.state === 'running' && existing.locked_until <= now && existing.expires_at > now;
      if (stale && existing.body_hash === hash && existing.request_id !== undefined && (await sent(existing.request_id))) {
        // Its holder sent and then died, or could not keep its answer: never send again.
        const answer: KeptAnswer = { status: 202, body: { requestId: existing.request_id } };
        await this.complete(workspaceId, key, existing.request_id, answer);
        return { kind: 'replay', answer };
      }
      if (existing.expires_at <= now || stale) {
        // Expired, or its holder died before sending: take it over, if no one else did first.
        const taken = await this.collection.replaceOne({ _id, state: existing.state, locked_until: existing.locked_until, expires_at: existing.expires_at }, fresh);
        if (taken.modifiedCount === 1) return { kind: 'new' };
        continue;
      }
      if (existing.body_hash !== hash) return { kind: 'mismatch' };
      if (existing.state === 'running' || !existing.answer) return { kind: 'running' };
      return { kind: 'replay', answer: existing.answer };
    }
    return { kind: 'running' };
  }

  async complete(workspaceId: string, key: string, requestId: string, answer: KeptAnswer): Promise<void> {
    await this.collection.updateOne({ _id: `${workspaceId}:${key}`, state: 'running', request_id: requestId }, { $set: { state: 'done', answer } });
  }

  /**
   * After dispatch the answer must be kept: written now, or, if MongoDB refuses, again with
   * back-off for up to KEEP_TRYING_MS (meanwhile repeats get a 409, never a resend).
   */
  async keep(workspaceId: string, key: string, requestId: string, answer: KeptAnswer, onFailure: (error: unknown) => void): Promise<void> {
    try {
      await this.complete(workspaceId, key, requestId, answer);
    } catch (error) {
      onFailure(error);
      void this.keepTrying(workspaceId, key, requestId, answer);
    }
  }

  private async keepTrying(workspaceId: string, key: string, requestId: string, answer: KeptAnswer): Promise<void> {
    const until = Date.now() + KEEP_TRYING_MS;
    for (let delay = 500; Date.now() < until; delay = Math.min(delay * 2, 15_000)) {
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      try {
        await this.complete(workspaceId, key, requestId, answer);
        return;
      } catch {
        // Still down: again after a longer wait.
      }
    }
  }

  async release(workspaceId: string, key: string, requestId: string): Promise<void> {
    await this.collection.deleteOne({ _id: `${workspaceId}:${key}`, state: 'running', request_id: requestId });
  }
}
