import { errorForLog, type Logger } from '../logger';

/**
 * Runs a pass of background work every `intervalMs`, in the service: never two passes at once
 * (a long pass is not overtaken by the next tick), stopped cleanly (stop() waits for the pass
 * under way), and a pass that throws is logged through the log scrubber and tried again next
 * interval. The timer never keeps the process alive.
 */
export class IntervalWorker<R> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<R> | undefined;

  constructor(
    private readonly options: { name: string; intervalMs: number; pass: () => Promise<R>; logger: Logger },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.runOnce().catch((error: unknown) => this.options.logger.error({ worker: this.options.name, error: errorForLog(error) }, `${this.options.name} failed; trying again next interval`));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass now (the admin CLI runs one by hand); shares the guard against overlapping passes. */
  runOnce(): Promise<R> {
    const pass = this.options.pass().finally(() => {
      if (this.running === pass) this.running = undefined;
    });
    this.running = pass;
    return pass;
  }
}
