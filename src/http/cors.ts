import type { NextFunction, Request, Response } from 'express';

/**
 * CORS for client apps in a browser (CORS_ORIGINS: an allowlist, or `*`; off by default), on
 * the routes a user token may call: one token, a user's tokens, and the Devices API. Never on
 * /auth/issue-token (secret keys only) or anything else. No credentials, no cookies: the
 * token travels in Authorization. An origin that is not listed gets no Access-Control-Allow-Origin.
 */
export type CorsOrigins = '*' | readonly string[];

const CLIENT_APP_ROUTES = [/^\/users\/[^/]+\/tokens(\/[^/]+)?$/, /^\/api\/v1\/people\/[^/]+\/devices(\/[^/]+)?$/];
export const CORS_ALLOWED_METHODS = 'GET, PUT, PATCH, DELETE, POST';
/** courier-js sends x-courier-ua on every call. */
export const CORS_ALLOWED_HEADERS = 'authorization, content-type, x-courier-ua';
/** Two hours: Chromium's own cap on a preflight's cache. */
const MAX_AGE_SECONDS = 7_200;

export function corsForClientApps(origins: CorsOrigins | undefined) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!origins || !CLIENT_APP_ROUTES.some((route) => route.test(req.path))) return next();
    res.vary('Origin');
    const origin = req.get('origin');
    if (!origin || (origins !== '*' && !origins.includes(origin))) return next();
    res.set('Access-Control-Allow-Origin', origins === '*' ? '*' : origin);
    res.set('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After, RateLimit, RateLimit-Policy');
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      res.set('Access-Control-Allow-Methods', CORS_ALLOWED_METHODS);
      res.set('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
      res.set('Access-Control-Max-Age', String(MAX_AGE_SECONDS));
      res.status(204).end();
      return;
    }
    next();
  };
}
