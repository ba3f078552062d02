import { maskSecret, type Logger } from '../logger';
import type { MessageDocument } from '../messages/message-document';
import type { NotificationSender, SendPace } from '../sender/notification-sender';
import type { ResultApplier, SendResultDocument, SendResultStore } from '../sender/send-result';
import type { Claimed } from '../queue/leased-queue';
import type { BroadcastDocument, ChunkCounts, ChunkDocument, FailureDocument } from './broadcast-document';
import type { BroadcastStore } from './broadcast-store';
import type { Chunker } from './chunker';
import type { RateBudget } from './rate-budget';
import { chunkCounts } from './chunk-counts';

export type ChunkSenderOptions = {
  logger: Logger;
  leaseMs: number;
  now: () => Date;
  /** The trackingUrl of one token of the broadcast's message, when tracking is on. */
  trackingUrl: (message: Pick<MessageDocument, '_id' | 'tracking_key'>, tokenId: string) => string | undefined;
  /** The broadcast's message (its tracking key), read once per chunk. */
  message: (id: string) => Promise<Pick<MessageDocument, '_id' | 'tracking_key'> | null>;
};

/**
 * Sends one claimed chunk of a broadcast through the one sender (docs/architecture.md): the
 * chunk adds only the claim, the pace and the counts. In order, so that a replica that dies at
 * any point leaves something the next holder of the chunk can finish without a second copy,
 * except for the one window it reports:
 *
 * 1. A result of this chunk already written (its holder died after dispatch, before recording
 *    it): recorded from that result; nothing is sent again.
 * 2. The broadcast was canceled: the chunk is done, its tokens skipped.
 * 3. `dispatching` is set before any token is handed to a provider. A later holder that finds
 *    it set (and no result) knows these tokens may have gone out, sends them again, and counts
 *    them as `possibly_duplicated`: at most one chunk per replica that died.
 * 4. The send writes its durable result (sender/send-result.ts); the chunk records its counts
 *    and failures from it and is done; then the result's effects are applied (src/outcomes),
 *    or, if that fails, by the outcomes queue.
 */
export class ChunkSender {
  constructor(
    private readonly store: BroadcastStore,
    private readonly chunker: Chunker,
    private readonly sender: NotificationSender,
    private readonly results: SendResultStore,
    private readonly apply: ResultApplier,
    private readonly budget: RateBudget,
    private readonly options: ChunkSenderOptions,
  ) {}

  /** Sends the chunk, under its claim; answers whether it finished it. */
  async send(chunk: Claimed<ChunkDocument>): Promise<boolean> {
    const broadcast = await this.store.broadcasts.findOne({ _id: chunk.broadcast_id });
    if (!broadcast) {
      // The broadcast expired (MESSAGE_RETENTION) or was removed by hand: nothing to send for.
      await this.store.chunkQueue.complete(chunk.claim, [chunk._id]);
      return true;
    }
    const written = await this.results.collection.findOne({ _id: chunk._id });
    if (written) return this.record(chunk, broadcast, written, 0, true);
    if (broadcast.canceled_at) {
      return this.store.finishChunk(chunk.claim, chunk._id, { counts: { none: { delivered: 0, invalid: 0, rejected: 0, retryable: 0, skipped: chunk.size } }, canceled: true }, this.options.now());
    }
    const duplicated = chunk.dispatching ? chunk.size : 0;
    if (!(await this.store.dispatching(chunk.claim, chunk._id))) return false;
    this.options.logger.debug({ broadcast_id: broadcast._id, chunk: chunk.seq, attempt: chunk.attempts ?? 1 }, 'broadcast chunk dispatching');
    const now = this.options.now();
    const recipients = this.chunker.resolve(broadcast, chunk, now);
    const message = broadcast.tracking ? await this.options.message(broadcast._id) : null;
    const { result, written: durable } = await this.sender.send(broadcast.workspace_id, recipients, broadcast.notification, {
      requestId: chunk._id,
      broadcastId: broadcast._id,
      messageFor: () => broadcast._id,
      pace: this.pace(broadcast.workspace_id),
      // Another replica must not apply (and delete) this result before a next holder of the chunk could find it.
      applyGraceMs: 2 * this.options.leaseMs,
      ...(message
        ? {
            dataFor: (t) => {
              const url = this.options.trackingUrl(message, t._id.toHexString());
              return url ? { trackingUrl: url } : undefined;
            },
          }
        : {}),
    });
    return this.record(chunk, broadcast, result, duplicated, durable);
  }

  /** Counts and failures from the result, the chunk done, then the result's effects. */
  private async record(chunk: Claimed<ChunkDocument>, broadcast: BroadcastDocument, result: SendResultDocument, duplicated: number, durable: boolean): Promise<boolean> {
    const now = this.options.now();
    await this.store.recordFailures(this.failures(broadcast, result, now));
    const counts: ChunkCounts = chunkCounts(result.tokens);
    const done = await this.store.finishChunk(chunk.claim, chunk._id, { counts, ...(duplicated > 0 ? { possibly_duplicated: duplicated } : {}) }, now);
    if (duplicated > 0) this.options.logger.warn({ broadcast_id: broadcast._id, chunk: chunk.seq, possibly_duplicated: duplicated }, 'a replica died while dispatching this chunk: sent again, and its tokens may have had two copies');
    if (durable) await this.apply(result);
    return done;
  }

  /** One document per token that did not get the message, with its reason (hints, never whole tokens). */
  private failures(broadcast: BroadcastDocument, result: SendResultDocument, now: Date): FailureDocument[] {
    const expires = new Date(broadcast.expires_at.getTime());
    return result.tokens
      .filter((t) => t.outcome !== 'delivered')
      .map((t) => ({
        _id: `${broadcast._id}:${t.token_id ?? maskSecret(t.token)}`,
        broadcast_id: broadcast._id,
        workspace_id: broadcast.workspace_id,
        token_id: t.token_id,
        user_id: t.user_id,
        token_hint: maskSecret(t.token),
        provider_key: t.provider,
        app_id: t.app_id,
        outcome: t.outcome,
        code: t.code,
        reason: t.reason,
        at: now,
        expires_at: expires,
      }));
  }

  /** The workspace's rate budget, per credential (rate-budget.ts). */
  private pace(workspaceId: string): SendPace {
    return {
      take: (group, wanted) => this.budget.take({ workspaceId, provider: group.provider, credentialId: group.credentialId }, wanted, group.rate),
      slowDown: async (group, retryAfterMs) => {
        await this.budget.slowDown({ workspaceId, provider: group.provider, credentialId: group.credentialId }, retryAfterMs);
        this.options.logger.warn({ provider: group.provider, credential: group.credentialId, retry_after_ms: retryAfterMs ?? null }, 'the provider answered that this credential is over its rate: pausing it for every replica');
      },
    };
  }
}
