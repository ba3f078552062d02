import { errorForLog, type Logger } from '../logger';
import type { SendResultDocument, SendResultStore } from './send-result';

/** At most this many results wait in memory for MongoDB; past it the oldest one's effects are lost (logged). */
const MAX_PENDING = 1_000;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;

/**
 * Send results that MongoDB would not take when their send ended (it failed after dispatch).
 * The pushes went out, so the send is answered all the same from the result in memory, and
 * the result is written here as soon as MongoDB takes it again, with back-off; the outcomes
 * queue (src/outcomes) then applies its effects like any other. Only a process that dies
 * while MongoDB is still down loses them: the window docs/reliability.md names.
 */
export class PendingResults {
  private readonly waiting: SendResultDocument[] = [];
  private retrying: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: SendResultStore,
    private readonly logger: Logger,
  ) {}

  /** Writes the result; answers false when it had to be kept for later. Never throws. */
  async write(result: SendResultDocument): Promise<boolean> {
    try {
      await this.store.write(result);
      return true;
    } catch (error) {
      this.logger.error({ send_request_id: result._id, error: errorForLog(error) }, 'the send result could not be written after dispatch; answered from memory, written when MongoDB is back');
      this.keep(result);
      return false;
    }
  }

  /** How many wait (for tests and /metrics). */
  get count(): number {
    return this.waiting.length;
  }

  /** On shutdown: one last try each, then what is left is logged as lost. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.retrying;
    for (const result of this.waiting.splice(0)) {
      await this.store.write(result).catch((error: unknown) => {
        this.logger.error({ send_request_id: result._id, error: errorForLog(error) }, 'a send result was lost at shutdown: its token writes, message log and webhooks will not happen');
      });
    }
  }

  private keep(result: SendResultDocument): void {
    if (this.waiting.length >= MAX_PENDING) {
      const lost = this.waiting.shift()!;
      this.logger.error({ send_request_id: lost._id }, 'too many send results wait for MongoDB; the oldest is dropped: its token writes, message log and webhooks will not happen');
    }
    this.waiting.push(result);
    this.retrying ??= this.retry().finally(() => {
      this.retrying = undefined;
    });
  }

  private async retry(): Promise<void> {
    let delay = FIRST_RETRY_MS;
    while (this.waiting.length > 0 && !this.stopped) {
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      try {
        await this.store.write(this.waiting[0]!);
        this.waiting.shift();
        delay = FIRST_RETRY_MS;
      } catch {
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }
}
