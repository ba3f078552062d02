import { errorForLog, type Logger } from '../logger';
import type { MessageDocument } from '../messages/message-document';
import type { MessageStore } from '../messages/message-store';
import { PeriodicJob } from '../queue/periodic-job';
import type { Claimed } from '../queue/leased-queue';
import type { ListStore } from '../audiences/list-store';
import type { BroadcastDocument, ChunkDocument } from './broadcast-document';
import { broadcastWrite } from './broadcast-outcome';
import type { BroadcastStore } from './broadcast-store';
import type { Chunker } from './chunker';
import type { ChunkSender } from './chunk-sender';

export type BroadcastWorkerOptions = {
  intervalMs: number;
  leaseMs: number;
  /** Chunks this replica sends at once (BROADCAST_CONCURRENCY). */
  concurrency: number;
  maxLists: number;
  logger: Logger;
  now?: () => Date;
};

/** Chunks planned per claim of a broadcast, before its planning goes back to the queue (any replica continues it). */
const PLAN_BATCH = 20;
/** A chunk whose send failed this many claims in a row is given up (its tokens counted as failed, last_error kept), so its broadcast still ends. */
const MAX_CHUNK_ATTEMPTS = 10;

/**
 * Each replica's share of every broadcast, through the leased queue (docs/architecture.md):
 * planning (a broadcast's next ranges, PLAN_BATCH at a time, continued by whichever replica
 * claims it next) and sending (up to `concurrency` chunks at once, each under its own lease,
 * renewed while it is sent). The replica that finishes a broadcast's last chunk finishes its
 * message; the planner's queue is the safety net should it die first.
 */
export class BroadcastWorker extends PeriodicJob<number> {
  private stopping = false;

  constructor(
    private readonly store: BroadcastStore,
    private readonly chunker: Chunker,
    private readonly chunks: ChunkSender,
    private readonly messages: MessageStore,
    private readonly lists: ListStore,
    private readonly options: BroadcastWorkerOptions,
  ) {
    super({ name: 'broadcast worker', intervalMs: options.intervalMs, logger: options.logger, now: options.now });
  }

  override start(): void {
    this.stopping = false;
    super.start();
  }

  override async stop(): Promise<void> {
    this.stopping = true;
    await super.stop();
  }

  /** Plans what is due, then sends chunks until none is due; answers how many chunks it sent. */
  protected async pass(): Promise<number> {
    await this.planDue();
    const inFlight = new Set<Promise<void>>();
    let sent = 0;
    for (;;) {
      while (inFlight.size < this.options.concurrency && !this.stopping) {
        const [chunk] = await this.store.chunkQueue.claimDue(this.now(), 1, this.options.leaseMs).catch((error: unknown) => {
          // The chunks in flight are still waited for; the next pass claims again.
          this.options.logger.error({ error: errorForLog(error) }, 'claiming a broadcast chunk failed; trying again next pass');
          return [];
        });
        if (!chunk) break;
        const work: Promise<void> = this.sendChunk(chunk).finally(() => inFlight.delete(work));
        inFlight.add(work);
        sent++;
      }
      if (inFlight.size === 0) break;
      await Promise.race(inFlight);
      if (!this.stopping) await this.planDue();
    }
    return sent;
  }

  private async sendChunk(chunk: Claimed<ChunkDocument>): Promise<void> {
    const { leaseMs } = this.options;
    try {
      if ((chunk.attempts ?? 1) > MAX_CHUNK_ATTEMPTS) {
        // Given up, so the broadcast can finish: its tokens count as failed, and the chunk keeps why.
        this.options.logger.error({ broadcast_id: chunk.broadcast_id, chunk: chunk.seq, attempts: chunk.attempts, last_error: chunk.last_error }, 'a broadcast chunk failed every attempt: its tokens are counted as failed; see last_error');
        if (await this.store.finishChunk(chunk.claim, chunk._id, { counts: { none: { delivered: 0, invalid: 0, rejected: 0, retryable: chunk.size, skipped: 0 } } }, this.now())) await this.finishIfDone(chunk.broadcast_id);
        return;
      }
      const finished = await this.store.chunkQueue.whileHeld(chunk.claim, chunk._id, leaseMs, this.now, () => this.chunks.send(chunk));
      if (finished) await this.finishIfDone(chunk.broadcast_id);
    } catch (error) {
      this.options.logger.error({ broadcast_id: chunk.broadcast_id, chunk: chunk.seq, error: errorForLog(error) }, 'a broadcast chunk failed; it is due again after a back-off');
      const backOff = Math.min(leaseMs, 1_000 * 2 ** Math.min(chunk.attempts ?? 1, 6));
      await this.store.chunkQueue.retry(chunk.claim, [chunk._id], new Date(this.now().getTime() + backOff), String(errorForLog(error).message)).catch(() => undefined);
    }
  }

  /**
   * Claims due broadcasts one at a time: plans PLAN_BATCH chunks of each, or checks whether a
   * planned one is done. Never throws: a pass with chunks in flight must go on waiting for them.
   */
  private async planDue(): Promise<void> {
    for (let i = 0; i < 4 && !this.stopping; i++) {
      const [broadcast] = await this.store.planQueue.claimDue(this.now(), 1, this.options.leaseMs).catch((error: unknown) => {
        this.options.logger.error({ error: errorForLog(error) }, 'looking for broadcasts to plan failed; trying again shortly');
        return [];
      });
      if (!broadcast) return;
      try {
        await this.store.planQueue.whileHeld(broadcast.claim, broadcast._id, this.options.leaseMs, this.now, () => this.plan(broadcast));
      } catch (error) {
        this.options.logger.error({ broadcast_id: broadcast._id, error: errorForLog(error) }, 'planning a broadcast failed; it is due again shortly');
        await this.store.planQueue.retry(broadcast.claim, [broadcast._id], new Date(this.now().getTime() + 1_000), String(errorForLog(error).message)).catch(() => undefined);
      }
    }
  }

  private async plan(broadcast: Claimed<BroadcastDocument>): Promise<void> {
    const now = this.now();
    if (broadcast.planned) {
      if (!(await this.finishIfDone(broadcast._id))) await this.store.planQueue.retry(broadcast.claim, [broadcast._id], new Date(now.getTime() + this.options.leaseMs));
      return;
    }
    if (broadcast.chunks === 0 && broadcast.cursor === undefined) {
      // A delayed broadcast is due: its message moves on (DELAYED → ENQUEUED), unless it was canceled meanwhile.
      const status = await this.messageStatus(broadcast._id);
      const started = status === 'DELAYED' ? await this.messages.start(broadcast._id, 1, now) : null;
      if (status !== 'ENQUEUED' && !started) {
        await this.store.cancel(broadcast.workspace_id, broadcast._id, now);
        broadcast.canceled_at = now;
      }
    }
    if ('list_pattern' in broadcast.target && broadcast.list_ids === undefined) {
      broadcast.list_ids = await this.lists.matching(broadcast.workspace_id, broadcast.target.list_pattern, undefined, this.options.maxLists);
      if (!(await this.store.setLists(broadcast.claim, broadcast._id, broadcast.list_ids))) return;
    }
    let seq = broadcast.chunks;
    let planned = 0;
    if (!broadcast.canceled_at && !(await this.store.canceled(broadcast._id))) {
      for await (const range of this.chunker.next(broadcast, broadcast.cursor, now, PLAN_BATCH)) {
        const chunk = await this.store.addChunk(broadcast.claim, { _id: `${broadcast._id}:${String(seq).padStart(8, '0')}`, broadcast_id: broadcast._id, workspace_id: broadcast.workspace_id, seq, ...range, due_at: now, expires_at: broadcast.expires_at });
        if (!chunk) return; // Another replica holds the planning now.
        if (chunk.up_to !== range.up_to) {
          // A planner that died wrote this chunk over another range (the target changed since): go on from the one written.
          await this.store.planQueue.retry(broadcast.claim, [broadcast._id], now);
          return;
        }
        seq = chunk.seq + 1;
        planned++;
      }
    }
    if (planned < PLAN_BATCH) {
      // The target has no more (or the broadcast was canceled): every chunk is planned.
      if (await this.store.planned(broadcast.claim, broadcast._id, new Date(now.getTime() + this.options.leaseMs))) await this.finishIfDone(broadcast._id);
      return;
    }
    // More to plan: due again at once, for whichever replica claims it first.
    await this.store.planQueue.retry(broadcast.claim, [broadcast._id], now);
  }

  private async messageStatus(id: string): Promise<MessageDocument['status'] | undefined> {
    return (await this.messages.collection.findOne({ _id: id }, { projection: { status: 1 } }))?.status;
  }

  /** Every chunk is planned and done: the message gets its outcome (once), then the broadcast is done. */
  private async finishIfDone(id: string): Promise<boolean> {
    if (!(await this.store.complete(id))) return false;
    const broadcast = await this.store.broadcasts.findOne({ _id: id });
    if (!broadcast || broadcast.status === 'done') return true;
    const now = this.now();
    await this.messages.finishBroadcast(id, broadcast.workspace_id, broadcastWrite(await this.store.progress(broadcast), now));
    await this.store.markDone(id, now);
    return true;
  }
}
