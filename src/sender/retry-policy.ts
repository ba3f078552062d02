import type { RetryConfig } from '../config';

/**
 * Bounded exponential back-off with full jitter (AWS Architecture Blog, "Exponential Backoff
 * and Jitter"): attempt n waits a random time in [0, min(max, base·2^(n-1))], but never less
 * than a Retry-After the provider asked for (itself capped at the maximum).
 */
export function retryDelayMs(attempt: number, config: RetryConfig, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  const ceiling = Math.min(config.maxDelayMs, config.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  const floor = retryAfterMs !== undefined ? Math.min(retryAfterMs, config.maxDelayMs) : 0;
  return Math.max(jittered, floor);
}
