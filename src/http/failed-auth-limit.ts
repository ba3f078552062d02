import { ipKeyGenerator } from 'express-rate-limit';
import { RateLimitedError } from '../errors';

/** Addresses tracked at once; past this, expired windows are swept, then the oldest dropped. */
const MAX_TRACKED_ADDRESSES = 100_000;
const WINDOW_MS = 60_000;

type Window = { failures: number; endsAt: number };

/** One authentication under way: it counts as a failure until it turns out to be a success. */
export type AuthAttempt = { succeeded: () => void };

/**
 * Slows key guessing: each client address may fail authentication (401) `perMinute` times in
 * a fixed one-minute window; past that, every request from it is a 429 until the window ends,
 * a right key included (otherwise a guesser would still learn when it guessed right).
 *
 * Every authentication reserves a failure when it starts, and gives it back the moment it
 * succeeds. So N wrong keys sent at once can never pass the limit, even those whose check
 * awaits (a JWT's signature): each was counted on arrival. A right API key is checked in the
 * same tick it is reserved, and an already verified JWT comes from a cache, so a backend
 * sending 200 requests at once from one address is never limited by this.
 *
 * The address is req.ip, so behind a proxy TRUST_PROXY must be set (docs/operations.md);
 * IPv6 clients are counted per /56, as one host usually holds a whole prefix. Counts are per
 * process, like the per-key limit.
 */
export class FailedAuthBudget {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts an authentication from `ip`, or throws the 429 when the address has no failures left. */
  attempt(ip: string | undefined): AuthAttempt {
    const address = ipKeyGenerator(ip ?? 'unknown');
    const at = this.now();
    const window = this.windowAt(address, at);
    if (window.failures >= this.perMinute) {
      throw new RateLimitedError(`More than ${this.perMinute} failed authentications a minute from this address; wait a minute`, Math.ceil((window.endsAt - at) / 1000));
    }
    window.failures++;
    let settled = false;
    return {
      // The window it was counted in, even if a new one has started since.
      succeeded: () => {
        if (settled) return;
        settled = true;
        window.failures--;
      },
    };
  }

  private windowAt(address: string, at: number): Window {
    const window = this.windows.get(address);
    if (window && window.endsAt > at) return window;
    this.windows.delete(address);
    if (this.windows.size >= MAX_TRACKED_ADDRESSES) {
      for (const [key, old] of this.windows) if (old.endsAt <= at) this.windows.delete(key);
      // Map iteration follows insertion order, so this drops the oldest windows.
      for (const key of this.windows.keys()) {
        if (this.windows.size < MAX_TRACKED_ADDRESSES) break;
        this.windows.delete(key);
      }
    }
    const fresh = { failures: 0, endsAt: at + WINDOW_MS };
    this.windows.set(address, fresh);
    return fresh;
  }
}
