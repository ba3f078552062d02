import { mapWithConcurrency } from '../concurrency';
import { errorForLog, type Logger } from '../logger';
import { IntervalWorker } from '../queue/interval-worker';
import { LeasedQueue } from '../queue/leased-queue';
import type { MessageDocument, ScheduledSend } from './message-document';
import type { MessageService } from './message-service';
import type { MessageStore } from './message-store';

export type SchedulerOptions = {
  intervalMs: number;
  /** How long a claim keeps other replicas off a message (a replica that dies mid-send frees it then). */
  claimMs: number;
  logger: Logger;
  now?: () => Date;
};
export type SchedulerPassReport = { sent: number; canceled: number; failed: number };

const BATCH = 50;
const CONCURRENT_SENDS = 4;

/**
 * Sends delayed messages when they are due, from whichever replica claims them first (the
 * leased queue over `messages.due_at`). Per message:
 * - start: DELAYED → ENQUEUED under the claim. A message canceled meanwhile is not started, and
 *   a cancel after the start gets a 409; one of the two always wins.
 * - send, resolving the recipient's tokens now; write the outcome; complete (unset due_at).
 * - a send that throws (MongoDB gone mid-send) stays ENQUEUED and is due again next interval.
 * A replica that dies while holding a claim leaves the message ENQUEUED with due_at at the
 * lease's end: another replica then starts it again and sends it to every token, so the
 * tokens the dead replica had already reached get it twice (docs/api.md says so). A replica
 * that is merely slow keeps its claim for `claimMs` (5 minutes), far beyond a send's timeouts.
 */
export class MessageScheduler {
  private readonly queue: LeasedQueue<MessageDocument>;
  private readonly worker: IntervalWorker<SchedulerPassReport>;
  private readonly now: () => Date;

  constructor(
    private readonly store: MessageStore,
    private readonly messages: MessageService,
    private readonly options: SchedulerOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.queue = new LeasedQueue(store.collection, 'due_at', 'unset');
    this.worker = new IntervalWorker({ name: 'delayed message scheduler', intervalMs: options.intervalMs, pass: () => this.pass(), logger: options.logger });
  }

  start(): void {
    this.worker.start();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  runOnce(): Promise<SchedulerPassReport> {
    return this.worker.runOnce();
  }

  private async pass(): Promise<SchedulerPassReport> {
    const report: SchedulerPassReport = { sent: 0, canceled: 0, failed: 0 };
    for (;;) {
      const now = this.now();
      const claimed = await this.queue.claimDue(now, BATCH, this.options.claimMs);
      await mapWithConcurrency(claimed, CONCURRENT_SENDS, async ({ _id, claim, attempts }) => {
        const message = await this.store.start(_id, claim, attempts ?? 1, this.now());
        if (!message?.scheduled) {
          report.canceled++;
          await this.queue.complete(claim, [_id]);
          return;
        }
        try {
          await this.messages.sendScheduled(message as MessageDocument & { scheduled: ScheduledSend });
          report.sent++;
          await this.queue.complete(claim, [_id]);
        } catch (error) {
          report.failed++;
          this.options.logger.error({ message_id: _id, error: errorForLog(error) }, 'a delayed message could not be sent; trying again next interval');
          await this.queue.retry(claim, [_id], new Date(this.now().getTime() + this.options.intervalMs), (error as Error).message).catch(() => undefined);
        }
      });
      if (claimed.length < BATCH) break;
    }
    if (report.sent + report.failed > 0) this.options.logger.info({ ...report }, 'delayed messages sent');
    return report;
  }
}
