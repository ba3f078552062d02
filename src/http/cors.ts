import type { NextFunction, Request, Response } from 'express';
import { ROUTES } from './route-catalogue';
import { RoutePaths } from './route-paths';

/**
 * CORS for client apps in a browser (CORS_ORIGINS: an allowlist, or `*`; off by default), on
 * exactly the routes a user token may call: those the route table marks `userTokens` or
 * `anyCaller` (GET /webpush/public-key, which a subscribing page asks), each
 * with its own methods (so a user's tokens may be listed from a browser, but not bulk-PUT,
 * which needs a secret key). Never on /auth/issue-token or anything else. No credentials, no
 * cookies: the token travels in Authorization. An origin that is not listed gets no
 * Access-Control-Allow-Origin.
 */
export type CorsOrigins = '*' | readonly string[];

const CLIENT_APP_ROUTES = new RoutePaths(ROUTES.filter((route) => route.userTokens || route.anyCaller));
/** courier-js sends x-courier-ua on every call, and x-courier-client-key on its list calls. */
export const CORS_ALLOWED_HEADERS = 'authorization, content-type, x-courier-ua, x-courier-client-key';
/** Two hours: Chromium's own cap on a preflight's cache. */
const MAX_AGE_SECONDS = 7_200;

export function corsForClientApps(origins: CorsOrigins | undefined) {
  return (req: Request, res: Response, next: NextFunction) => {
    const methods = origins ? CLIENT_APP_ROUTES.methodsFor(req.path) : [];
    if (methods.length === 0) return next();
    res.vary('Origin');
    const origin = req.get('origin');
    if (!origin || (origins !== '*' && !origins!.includes(origin))) return next();
    const preflight = req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined;
    if (!preflight && !methods.includes(req.method)) return next();
    res.set('Access-Control-Allow-Origin', origins === '*' ? '*' : origin);
    res.set('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After, RateLimit, RateLimit-Policy');
    if (preflight) {
      res.set('Access-Control-Allow-Methods', methods.join(', '));
      res.set('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
      res.set('Access-Control-Max-Age', String(MAX_AGE_SECONDS));
      res.status(204).end();
      return;
    }
    next();
  };
}
