import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Principal } from '../auth/principal';
import { RateLimitedError } from '../errors';

/**
 * A fixed one-minute window per API key (not per IP: many clients share a key, and a key is
 * what a workspace pays for). Answers 429 with the IETF RateLimit and RateLimit-Policy headers
 * (draft 8) and Retry-After. Counts are per process; see docs/operations.md for scaling out.
 */
export function rateLimitPerKey(perMinute: number) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req, res) => (res.locals.principal as Principal).keyId,
    handler: (_req, _res, next) => next(new RateLimitedError(`More than ${perMinute} requests a minute with this API key; slow down`)),
  });
}

/**
 * Tracking posts carry no key (the URL is the credential), so they are limited per client
 * address instead (req.ip: TRUST_PROXY decides it behind a proxy; IPv6 per /56). Generous: a
 * carrier's NAT puts many devices behind one address, and each posts a few events a message.
 */
export function rateLimitPerAddress(perMinute: number) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? 'unknown'),
    handler: (_req, _res, next) => next(new RateLimitedError(`More than ${perMinute} tracking posts a minute from this address (TRACKING_PER_MINUTE); slow down`)),
  });
}
