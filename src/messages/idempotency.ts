import { createHash } from 'node:crypto';
import type { Collection, Db } from 'mongodb';

/**
 * Idempotency-Key records for POST /send (collection `idempotency_keys`, docs/storage.md), per
 * workspace, shared by every replica through MongoDB's unique _id:
 * - the first request with a key inserts a `running` record and goes ahead;
 * - a repeat with the same body gets the kept answer, or a 409 while the first still runs;
 * - a repeat with another body is a 422;
 * - an answer is kept when it is a 2xx; a request that fails after taking the key (MongoDB
 *   unavailable, a crash) releases it, so the client's retry may run. A crash leaves a running
 *   record behind; after LOCK_MS another request may take it over (that send may then go out
 *   twice: the first may have sent before it died).
 * Records expire after IDEMPOTENCY_TTL (a TTL index; an expired record that MongoDB has not yet
 * deleted counts as gone).
 */
export type KeptAnswer = { status: number; body: unknown };
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
  /** While running: when another request may take the key over (its holder presumably died). */
  locked_until: Date;
  answer?: KeptAnswer;
  created_at: Date;
  expires_at: Date;
};

/** 1–255 printable ASCII characters, as Stripe and Courier take them. */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;
const LOCK_MS = 5 * 60_000;
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

  async begin(workspaceId: string, key: string, hash: string, now: Date): Promise<Begun> {
    const _id = `${workspaceId}:${key}`;
    const fresh: IdempotencyDocument = {
      _id, workspace_id: workspaceId, key, body_hash: hash, state: 'running',
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
      if (existing.expires_at <= now || (existing.state === 'running' && existing.locked_until <= now)) {
        // Expired, or its holder died: take it over, if no one else did first.
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

  async complete(workspaceId: string, key: string, answer: KeptAnswer): Promise<void> {
    await this.collection.updateOne({ _id: `${workspaceId}:${key}`, state: 'running' }, { $set: { state: 'done', answer } });
  }

  async release(workspaceId: string, key: string): Promise<void> {
    await this.collection.deleteOne({ _id: `${workspaceId}:${key}`, state: 'running' });
  }
}
