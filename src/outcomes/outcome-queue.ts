import { errorForLog, type Logger } from '../logger';
import { PeriodicJob } from '../queue/periodic-job';
import type { SendResultStore } from '../sender/send-result';
import type { OutcomeApplier } from './outcome-applier';

export type OutcomeQueueOptions = { intervalMs: number; leaseMs: number; logger: Logger; now?: () => Date };

/** Results claimed per look; each is renewed before it is applied, so none outlasts its lease. */
const BATCH = 20;
const MAX_RETRY_MS = 10 * 60_000;

/**
 * Applies the send results whose writer did not (it died, or MongoDB failed after dispatch),
 * from whichever replica claims them first through the leased queue, once `due_at` (the send's
 * time plus SEND_APPLY_GRACE) has passed. A result that fails to apply is tried again with
 * back-off; applying is idempotent, so a result applied by its writer meanwhile costs nothing.
 */
export class OutcomeQueue extends PeriodicJob<number> {
  constructor(
    private readonly results: SendResultStore,
    private readonly applier: OutcomeApplier,
    private readonly options: OutcomeQueueOptions,
  ) {
    super({ name: 'send outcomes', intervalMs: options.intervalMs, logger: options.logger, now: options.now });
  }

  protected async pass(): Promise<number> {
    let applied = 0;
    for (;;) {
      const claimed = await this.results.queue.claimDue(this.now(), BATCH, this.options.leaseMs);
      for (const result of claimed) {
        if ((await this.results.queue.renew(result.claim, [result._id], new Date(this.now().getTime() + this.options.leaseMs))) === 0) continue;
        try {
          await this.applier.applyAll(result);
          applied++;
        } catch (error) {
          const attempts = result.attempts ?? 1;
          const delay = Math.min(this.options.intervalMs * 2 ** attempts, MAX_RETRY_MS);
          this.options.logger.error({ send_request_id: result._id, attempts, error: errorForLog(error) }, "a send's effects could not be applied; trying again later");
          await this.results.queue.retry(result.claim, [result._id], new Date(this.now().getTime() + delay), (error as Error).message).catch(() => undefined);
        }
      }
      if (claimed.length < BATCH) break;
    }
    if (applied > 0) this.options.logger.info({ applied }, 'send results applied by the outcomes queue');
    return applied;
  }
}
