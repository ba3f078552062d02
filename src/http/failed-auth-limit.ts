import type { NextFunction, Request, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import { RateLimitedError } from '../errors';

/** Addresses tracked at once; past this, expired windows are swept, then the oldest dropped. */
const MAX_TRACKED_ADDRESSES = 100_000;
const WINDOW_MS = 60_000;

/**
 * Slows key guessing: each client address may fail authentication (401) `perMinute` times in
 * a fixed one-minute window; past that, every request from it is a 429 until the window ends,
 * a right key included (otherwise a guesser would still learn when it guessed right).
 *
 * Only failures count, when they happen: a backend sending 200 requests at once from one
 * address is never limited by this. (A general-purpose limiter that counts requests as they
 * arrive and uncounts the successes afterwards would be.) The address is req.ip, so behind a
 * proxy TRUST_PROXY must be set (docs/operations.md); IPv6 clients are counted per /56, as
 * one host usually holds a whole prefix. Counts are per process, like the per-key limit.
 */
export function limitFailedAuthentication(perMinute: number, now: () => number = Date.now) {
  const windows = new Map<string, { failures: number; endsAt: number }>();

  const recordFailure = (address: string) => {
    const at = now();
    const window = windows.get(address);
    if (window && window.endsAt > at) {
      window.failures++;
      return;
    }
    windows.delete(address);
    if (windows.size >= MAX_TRACKED_ADDRESSES) {
      for (const [key, old] of windows) if (old.endsAt <= at) windows.delete(key);
      // Map iteration follows insertion order, so this drops the oldest windows.
      for (const key of windows.keys()) {
        if (windows.size < MAX_TRACKED_ADDRESSES) break;
        windows.delete(key);
      }
    }
    windows.set(address, { failures: 1, endsAt: at + WINDOW_MS });
  };

  return (req: Request, res: Response, next: NextFunction) => {
    const address = ipKeyGenerator(req.ip ?? 'unknown');
    const window = windows.get(address);
    const at = now();
    if (window && window.endsAt > at && window.failures >= perMinute) {
      res.setHeader('Retry-After', String(Math.ceil((window.endsAt - at) / 1000)));
      return next(new RateLimitedError(`More than ${perMinute} failed authentications a minute from this address; wait a minute`));
    }
    res.on('finish', () => {
      if (res.statusCode === 401) recordFailure(address);
    });
    next();
  };
}
