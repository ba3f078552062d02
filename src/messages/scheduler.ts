import { mapWithConcurrency } from '../concurrency';
import { errorForLog, type Logger } from '../logger';
import { IntervalWorker } from '../queue/interval-worker';
import type { ScheduledSends } from './scheduled-sends';
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
 * Sends delayed messages when they are due, from whichever replica claims their row first (the
 * leased queue over `scheduled_sends.due_at`). Per row:
 * - start its message: DELAYED → ENQUEUED. A message canceled meanwhile is not started (the row
 *   is dropped), and a cancel after the start gets a 409; one of the two always wins.
 * - send, resolving the recipient's tokens now; write the outcome; complete (delete the row).
 * - a send that throws (MongoDB gone mid-send) stays ENQUEUED, and its row is due again next
 *   interval.
 * - a row whose message does not exist: its request is still writing it (the row goes first),
 *   or died; tried again for MESSAGE_WAIT_MS, then dropped.
 * A replica that dies while holding a claim leaves the message ENQUEUED and its row due at the
 * lease's end: another replica then starts it again and sends it to every token, so the tokens
 * the dead replica had already reached get it twice (docs/api.md says so). A replica that is
 * merely slow keeps its claim for `claimMs` (5 minutes), far beyond a send's timeouts.
 */
const MESSAGE_WAIT_MS = 60_000;

export class MessageScheduler {
  private readonly worker: IntervalWorker<SchedulerPassReport>;
  private readonly now: () => Date;

  constructor(
    private readonly store: MessageStore,
    private readonly scheduled: ScheduledSends,
    private readonly messages: MessageService,
    private readonly options: SchedulerOptions,
  ) {
    this.now = options.now ?? (() => new Date());
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
    const queue = this.scheduled.queue;
    for (;;) {
      const claimed = await queue.claimDue(this.now(), BATCH, this.options.claimMs);
      await mapWithConcurrency(claimed, CONCURRENT_SENDS, async (row) => {
        const { _id, claim } = row;
        const message = await this.store.start(_id, row.attempts ?? 1, this.now());
        if (!message) {
          const young = this.now().getTime() - row.created_at.getTime() < MESSAGE_WAIT_MS;
          if (young && !(await this.store.exists(_id))) return void (await queue.retry(claim, [_id], new Date(this.now().getTime() + this.options.intervalMs)));
          report.canceled++;
          return void (await queue.complete(claim, [_id]));
        }
        try {
          await this.messages.sendScheduled(message, row);
          report.sent++;
          await queue.complete(claim, [_id]);
        } catch (error) {
          report.failed++;
          this.options.logger.error({ message_id: _id, error: errorForLog(error) }, 'a delayed message could not be sent; trying again next interval');
          await queue.retry(claim, [_id], new Date(this.now().getTime() + this.options.intervalMs), (error as Error).message).catch(() => undefined);
        }
      });
      if (claimed.length < BATCH) break;
    }
    if (report.sent + report.failed > 0) this.options.logger.info({ ...report }, 'delayed messages sent');
    return report;
  }
}
