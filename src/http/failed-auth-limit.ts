import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { RateLimitedError } from '../errors';

/**
 * Slows key guessing: each client address may fail authentication (401) at most `perMinute`
 * times a minute; past that, every request from it is a 429 until the window ends, a right key
 * included (otherwise a guesser would still learn when it guessed right). The address is
 * req.ip, so behind a proxy TRUST_PROXY must be set for it to be the client's, not the
 * proxy's (docs/operations.md). IPv6 clients are counted per /56, as one host usually holds a
 * whole prefix. Counts are per process, like the per-key limit.
 */
export function limitFailedAuthentication(perMinute: number) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => `auth-failures:${ipKeyGenerator(req.ip ?? 'unknown')}`,
    // Every request is counted as it arrives and uncounted when it did not fail authentication.
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    handler: (_req, _res, next) =>
      next(new RateLimitedError(`More than ${perMinute} failed authentications a minute from this address; wait a minute`)),
  });
}
