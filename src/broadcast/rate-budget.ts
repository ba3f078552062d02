import type { Collection, Db } from 'mongodb';
import type { ProviderKey } from '../tokens/token-fields';

/**
 * One credential's send rate, shared by every replica through MongoDB (collection
 * `rate_windows`, docs/storage.md). Time is cut into windows of WINDOW_MS; each window of a
 * credential may pass rate × WINDOW_MS / 1000 notifications, counted by one `$inc` on the
 * window's document, whoever sends. A replica asks for what it wants and gets what is left of
 * the current window (at least one, or it waits for the next window), so the aggregate over any
 * 10 s stays within 1% of the rate, with any number of replicas.
 *
 * A provider's 429 or quota answer pauses the whole credential (`pause:<key>`, until the
 * Retry-After it gave, or PAUSE_MS), for every replica, not only the tokens it was about.
 */
export type RateKey = { workspaceId: string; provider: ProviderKey; credentialId: string | null };

type WindowDocument = { _id: string; count: number; expires_at: Date };
type PauseDocument = { _id: string; until: Date; expires_at: Date };

export const RATE_WINDOWS = 'rate_windows';
/** The length of one window: a tenth of a second, so a second holds ten of them. */
export const WINDOW_MS = 100;
/** Rates too slow for a tenth of a second to pass one notification count by whole seconds. */
const SLOW_WINDOW_MS = 1_000;
/** How long a credential pauses after a rate answer that gave no Retry-After. */
export const PAUSE_MS = 1_000;
/** The longest a rate answer may pause a credential for, whatever Retry-After says. */
const MAX_PAUSE_MS = 60_000;

export async function ensureRateIndexes(db: Db): Promise<void> {
  await db.collection(RATE_WINDOWS).createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
}

/** The key a credential's windows are counted under: the instance's clients are shared by every workspace. */
export function rateKey({ workspaceId, provider, credentialId }: RateKey): string {
  return credentialId === null ? `instance:${provider}` : `${workspaceId}:${credentialId}`;
}

export class RateBudget {
  private readonly windows: Collection<WindowDocument>;
  private readonly pauses: Collection<PauseDocument>;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    db: Db,
    /** Per provider, notifications a second per credential; 0: no limit. */
    private readonly rates: Readonly<Record<ProviderKey, number>>,
    options: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
  ) {
    this.windows = db.collection<WindowDocument>(RATE_WINDOWS);
    this.pauses = db.collection<PauseDocument>(RATE_WINDOWS);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  rateOf(provider: ProviderKey): number {
    return this.rates[provider] ?? 0;
  }

  /**
   * How many of `wanted` notifications may go now: at least one, waiting for the next window
   * (or the end of a pause) when none may. Without a rate, all of them at once.
   * `credentialRate`: the credential's own rate, when it has one.
   */
  async take(key: RateKey, wanted: number, credentialRate?: number): Promise<number> {
    // The credential's own rate (rate_per_second), or the instance's default for its provider.
    const rate = credentialRate ?? this.rateOf(key.provider);
    if (rate <= 0 || wanted <= 0) return wanted;
    const id = rateKey(key);
    const windowMs = (rate * WINDOW_MS) / 1000 >= 1 ? WINDOW_MS : SLOW_WINDOW_MS;
    const perWindow = Math.max(1, Math.floor((rate * windowMs) / 1000));
    for (;;) {
      const paused = await this.pauses.findOne({ _id: `pause:${id}` });
      const now = this.now();
      if (paused && paused.until.getTime() > now) {
        await this.sleep(paused.until.getTime() - now);
        continue;
      }
      const window = Math.floor(now / windowMs);
      const counted = await this.count(`${id}:${window}`, Math.min(wanted, perWindow), new Date((window + 2) * windowMs + 60_000));
      const before = counted - Math.min(wanted, perWindow);
      const granted = Math.min(wanted, perWindow - before);
      if (granted > 0) return granted;
      await this.sleep((window + 1) * windowMs - now);
    }
  }

  /** A provider answered 429 or quota for this credential: everyone pauses it for `retryAfterMs` (PAUSE_MS when not given). */
  async slowDown(key: RateKey, retryAfterMs: number | undefined): Promise<void> {
    const until = new Date(this.now() + Math.min(MAX_PAUSE_MS, Math.max(retryAfterMs ?? PAUSE_MS, 1)));
    await this.pauses.updateOne({ _id: `pause:${rateKey(key)}` }, { $max: { until }, $set: { expires_at: new Date(until.getTime() + 60_000) } }, { upsert: true });
  }

  /** Adds to a window's count; answers the count after. Two replicas creating one window at once: one retries. */
  private async count(id: string, adding: number, expiresAt: Date): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await this.windows.findOneAndUpdate({ _id: id }, { $inc: { count: adding }, $setOnInsert: { expires_at: expiresAt } }, { upsert: true, returnDocument: 'after' });
        return doc?.count ?? adding;
      } catch (error) {
        if ((error as { code?: number }).code !== 11000 || attempt >= 3) throw error;
      }
    }
  }
}
