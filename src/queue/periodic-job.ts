import type { Logger } from '../logger';
import { IntervalWorker } from './interval-worker';

/**
 * Background work a replica runs every `intervalMs` (interval-worker.ts): the delayed-message
 * scheduler, the outcomes queue, the Expo receipt checker. A job says what one pass does; this
 * gives it its clock, start, stop (waiting for the pass under way), and runOnce for the admin
 * CLI and tests.
 */
export abstract class PeriodicJob<R> {
  protected readonly now: () => Date;
  private readonly worker: IntervalWorker<R>;

  protected constructor(options: { name: string; intervalMs: number; logger: Logger; now?: (() => Date) | undefined }) {
    this.now = options.now ?? (() => new Date());
    this.worker = new IntervalWorker({ name: options.name, intervalMs: options.intervalMs, pass: () => this.pass(), logger: options.logger });
  }

  /** One pass of the work. */
  protected abstract pass(): Promise<R>;

  start(): void {
    this.worker.start();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** One pass now; it shares the guard against overlapping passes. */
  runOnce(): Promise<R> {
    return this.worker.runOnce();
  }
}
