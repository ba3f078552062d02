import type { Collection, Db } from 'mongodb';
import { insertIgnoringDuplicates } from '../db/insert-once';
import { LeasedQueue } from '../queue/leased-queue';
import {
  BROADCAST_CHUNKS,
  BROADCAST_FAILURES,
  BROADCASTS,
  type BroadcastDocument,
  type ChunkCounts,
  type ChunkDocument,
  type FailureDocument,
  type ProviderTally,
} from './broadcast-document';

/** A broadcast's progress, summed over its chunks. */
export type Progress = {
  running: boolean;
  canceled: boolean;
  total: number;
  sent: number;
  delivered: number;
  invalidated: number;
  rejected: number;
  retryable: number;
  skipped: number;
  possibly_duplicated: number;
  providers: Record<string, ProviderTally>;
  chunks: { planned: number; done: number; all_planned: boolean };
};

/** Reads and writes of a broadcast's three collections; the planner and the chunk worker share the leased queue over them. */
export class BroadcastStore {
  readonly broadcasts: Collection<BroadcastDocument>;
  readonly chunks: Collection<ChunkDocument>;
  readonly failures: Collection<FailureDocument>;
  /** Broadcasts due for planning. */
  readonly planQueue: LeasedQueue<BroadcastDocument>;
  /** Chunks due for sending. */
  readonly chunkQueue: LeasedQueue<ChunkDocument>;

  constructor(db: Db) {
    this.broadcasts = db.collection<BroadcastDocument>(BROADCASTS);
    this.chunks = db.collection<ChunkDocument>(BROADCAST_CHUNKS);
    this.failures = db.collection<FailureDocument>(BROADCAST_FAILURES);
    this.planQueue = new LeasedQueue(this.broadcasts, 'plan_due_at');
    this.chunkQueue = new LeasedQueue(this.chunks, 'due_at');
  }

  async create(broadcast: BroadcastDocument): Promise<void> {
    await insertIgnoringDuplicates(this.broadcasts, [broadcast]);
  }

  get(workspaceId: string, id: string): Promise<BroadcastDocument | null> {
    return this.broadcasts.findOne({ _id: id, workspace_id: workspaceId });
  }

  /** Whether the broadcast was canceled (or is gone): read before each chunk is dispatched. */
  async canceled(id: string): Promise<boolean> {
    const doc = await this.broadcasts.findOne({ _id: id }, { projection: { canceled_at: 1 } });
    return !doc || doc.canceled_at !== undefined;
  }

  /** Cancels a broadcast not yet finished: no chunk is dispatched after this. Answers whether this call canceled it. */
  async cancel(workspaceId: string, id: string, now: Date): Promise<boolean> {
    const updated = await this.broadcasts.updateOne({ _id: id, workspace_id: workspaceId, canceled_at: { $exists: false }, status: { $ne: 'done' } }, { $set: { canceled_at: now } });
    return updated.modifiedCount === 1;
  }

  /**
   * Records a planned chunk, once: a planner that died after writing it and before moving its
   * cursor plans it again, finds it written, and goes on from the range written first.
   */
  async addChunk(claim: string, chunk: ChunkDocument): Promise<ChunkDocument | null> {
    await insertIgnoringDuplicates(this.chunks, [chunk]);
    const written = await this.chunks.findOne({ _id: chunk._id });
    if (!written) return null;
    const moved = await this.broadcasts.updateOne({ _id: chunk.broadcast_id, claim }, { $set: { cursor: written.up_to, chunks: written.seq + 1, status: 'running' } });
    return moved.matchedCount === 1 ? written : null;
  }

  /**
   * Every chunk is planned. The broadcast stays in the queue, due at `checkAt`, as the safety
   * net of its finish: the replica that finishes its last chunk finishes it, and if that replica
   * dies first, whoever claims it next does.
   */
  async planned(claim: string, id: string, checkAt: Date): Promise<boolean> {
    const updated = await this.broadcasts.updateOne({ _id: id, claim }, { $set: { planned: true, status: 'running', plan_due_at: checkAt }, $unset: { claim: '' } });
    return updated.matchedCount === 1;
  }

  /** A pattern's lists, fixed when planning begins. */
  async setLists(claim: string, id: string, listIds: string[]): Promise<boolean> {
    return (await this.broadcasts.updateOne({ _id: id, claim }, { $set: { list_ids: listIds } })).matchedCount === 1;
  }

  /** A chunk is about to be handed to providers: a claim after this one knows its tokens may have gone out. */
  async dispatching(claim: string, chunkId: string): Promise<boolean> {
    return (await this.chunks.updateOne({ _id: chunkId, claim }, { $set: { dispatching: true } })).matchedCount === 1;
  }

  /** A chunk is done, with what its send did; only under the claim that did it. */
  async finishChunk(claim: string, chunkId: string, fields: { counts: ChunkCounts; possibly_duplicated?: number; canceled?: boolean }, now: Date): Promise<boolean> {
    // The keys go: what is kept of a done chunk is its counts (a few hundred bytes for chunkSize tokens).
    const updated = await this.chunks.updateOne({ _id: chunkId, claim }, { $set: { ...fields, done_at: now }, $unset: { due_at: '', claim: '', user_ids: '' } });
    return updated.matchedCount === 1;
  }

  async recordFailures(failures: FailureDocument[]): Promise<void> {
    if (failures.length > 0) await insertIgnoringDuplicates(this.failures, failures);
  }

  /** A page of a broadcast's failed tokens, by their id after `after`. */
  failurePage(broadcastId: string, limit: number, after: string | undefined): Promise<FailureDocument[]> {
    return this.failures
      .find({ broadcast_id: broadcastId, ...(after !== undefined ? { _id: { $gt: after } } : {}) })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
  }

  /** Whether every chunk is planned and done. */
  async complete(id: string): Promise<boolean> {
    const broadcast = await this.broadcasts.findOne({ _id: id }, { projection: { planned: 1, status: 1 } });
    if (!broadcast?.planned) return false;
    return (await this.chunks.countDocuments({ broadcast_id: id, done_at: { $exists: false } }, { limit: 1 })) === 0;
  }

  /** The one replica that marks the broadcast done (its message is finished once). */
  async markDone(id: string, now: Date): Promise<boolean> {
    return (await this.broadcasts.updateOne({ _id: id, status: { $ne: 'done' } }, { $set: { status: 'done', finished_at: now }, $unset: { plan_due_at: '', claim: '' } })).modifiedCount === 1;
  }

  /** The progress, summed over the chunks (one small document each: a broadcast to 10M tokens has 10,000 at the default size). */
  async progress(broadcast: BroadcastDocument): Promise<Progress> {
    const providers: Record<string, ProviderTally> = {};
    let total = 0;
    let done = 0;
    let duplicated = 0;
    const cursor = this.chunks.find({ broadcast_id: broadcast._id }, { projection: { size: 1, counts: 1, done_at: 1, possibly_duplicated: 1 }, batchSize: 1_000 });
    for await (const chunk of cursor) {
      total += chunk.size;
      if (chunk.done_at) done++;
      duplicated += chunk.possibly_duplicated ?? 0;
      for (const [provider, tally] of Object.entries(chunk.counts ?? {})) addTally((providers[provider] ??= emptyTally()), tally);
    }
    const sum = emptyTally();
    for (const tally of Object.values(providers)) addTally(sum, tally);
    return {
      running: broadcast.status !== 'done',
      canceled: broadcast.canceled_at !== undefined,
      total,
      sent: sum.delivered + sum.invalid + sum.rejected + sum.retryable,
      delivered: sum.delivered,
      invalidated: sum.invalid,
      rejected: sum.rejected,
      retryable: sum.retryable,
      skipped: sum.skipped,
      possibly_duplicated: duplicated,
      providers,
      chunks: { planned: broadcast.chunks, done, all_planned: broadcast.planned },
    };
  }
}

export function emptyTally(): ProviderTally {
  return { delivered: 0, invalid: 0, rejected: 0, retryable: 0, skipped: 0 };
}

export function addTally(to: ProviderTally, from: Partial<ProviderTally>): void {
  for (const key of ['delivered', 'invalid', 'rejected', 'retryable', 'skipped'] as const) to[key] += from[key] ?? 0;
}
