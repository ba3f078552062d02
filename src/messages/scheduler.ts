import { mapWithConcurrency } from '../concurrency';
import { errorForLog, type Logger } from '../logger';
import { PeriodicJob } from '../queue/periodic-job';
import type { ClaimedSend, ScheduledSends } from './scheduled-sends';
import type { MessageService } from './message-service';
import type { MessageStore } from './message-store';

export type SchedulerOptions = {
  intervalMs: number;
  /** How long a claim keeps other replicas off a message (a replica that dies mid-send frees it then). */
  claimMs: number;
  logger: Logger;
  now?: () => Date;
};
export type SchedulerPassReport = { sent: number; canceled: number; failed: number; dead_lettered: number };

const BATCH = 50;
const CONCURRENT_SENDS = 4;
/** Claims of one row before it is given up as dead-lettered (its message UNDELIVERABLE, with the last error). */
export const MAX_SCHEDULED_ATTEMPTS = 10;
const MAX_BACKOFF_MS = 10 * 60_000;

/**
 * Sends delayed messages when they are due, from whichever replica claims their row first (the
 * leased queue over `scheduled_sends.due_at`). Each row is worked on only while its lease is
 * held, and the lease is renewed while its send runs (LeasedQueue.whileHeld), so a slow
 * provider never lets another replica take a row that is being sent. Per row:
 * - start its message: DELAYED → ENQUEUED. A message canceled meanwhile is not started (the row
 *   is dropped), and a cancel after the start gets a 409; one of the two always wins.
 * - send, resolving the recipient's tokens now; the send's result carries its outcome to the
 *   message (src/outcomes); complete (delete the row).
 * - a send that fails before anything was sent (MongoDB gone) stays ENQUEUED, and its row is
 *   due again after a back-off that doubles per attempt; after MAX_SCHEDULED_ATTEMPTS claims
 *   the message is dead-lettered: UNDELIVERABLE, with a DEAD_LETTERED history event.
 * - a row whose message does not exist: its request is still writing it (the row goes first),
 *   or died; tried again for MESSAGE_WAIT_MS, then dropped.
 * A replica that dies while holding a row leaves it due when the lease ends. Another replica
 * then sends it again only if no send result of it exists: only tokens the dead replica had
 * handed to a provider before it could write its result may get it twice (docs/api.md).
 */
const MESSAGE_WAIT_MS = 60_000;

export class MessageScheduler extends PeriodicJob<SchedulerPassReport> {
  constructor(
    private readonly store: MessageStore,
    private readonly scheduled: ScheduledSends,
    private readonly messages: MessageService,
    private readonly options: SchedulerOptions,
  ) {
    super({ name: 'delayed message scheduler', intervalMs: options.intervalMs, logger: options.logger, now: options.now });
  }

  protected async pass(): Promise<SchedulerPassReport> {
    const report: SchedulerPassReport = { sent: 0, canceled: 0, failed: 0, dead_lettered: 0 };
    const queue = this.scheduled.queue;
    for (;;) {
      const claimed = await queue.claimDue(this.now(), BATCH, this.options.claimMs);
      await mapWithConcurrency(claimed, CONCURRENT_SENDS, (row) => queue.whileHeld(row.claim, row._id, this.options.claimMs, this.now, () => this.handle(row, report)));
      if (claimed.length < BATCH) break;
    }
    if (report.sent + report.failed + report.dead_lettered > 0) this.options.logger.info({ ...report }, 'delayed messages sent');
    return report;
  }

  private async handle(row: ClaimedSend, report: SchedulerPassReport): Promise<void> {
    const queue = this.scheduled.queue;
    const { _id, claim } = row;
    const attempt = row.attempts ?? 1;
    if (attempt > MAX_SCHEDULED_ATTEMPTS) {
      report.dead_lettered++;
      this.options.logger.error({ message_id: _id, attempts: attempt - 1, last_error: row.last_error }, 'a delayed message failed every attempt; dead-lettered (UNDELIVERABLE)');
      await this.store.deadLetter(_id, attempt - 1, row.last_error ?? 'its replica died while sending', this.now());
      return void (await queue.complete(claim, [_id]));
    }
    // Claimed again after a lease ran out: a send that got as far as its result is not sent again.
    if (attempt > 1 && (await this.messages.dispatched(_id))) return void (await queue.complete(claim, [_id]));
    const message = await this.store.start(_id, attempt, this.now());
    if (!message) {
      const young = this.now().getTime() - row.created_at.getTime() < MESSAGE_WAIT_MS;
      if (young && !(await this.store.exists(_id))) return void (await queue.retry(claim, [_id], new Date(this.now().getTime() + this.options.intervalMs)));
      report.canceled++;
      return void (await queue.complete(claim, [_id]));
    }
    const notification = await this.scheduled.notificationOf(row);
    if (!notification) {
      // Its request's notification is gone (kept two days past the due time): nothing to send.
      report.dead_lettered++;
      await this.store.deadLetter(_id, attempt, 'its notification is no longer stored', this.now());
      return void (await queue.complete(claim, [_id]));
    }
    try {
      await this.messages.sendScheduled(message, row, notification);
      report.sent++;
      await queue.complete(claim, [_id]);
    } catch (error) {
      report.failed++;
      const backoff = Math.min(this.options.intervalMs * 2 ** (attempt - 1), MAX_BACKOFF_MS);
      this.options.logger.error({ message_id: _id, attempt, retry_in_ms: backoff, error: errorForLog(error) }, 'a delayed message could not be sent; trying again after a back-off');
      await queue.retry(claim, [_id], new Date(this.now().getTime() + backoff), (error as Error).message).catch(() => undefined);
    }
  }
}
