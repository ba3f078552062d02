import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response, Router } from 'express';
import { maskSecret, requestLineLogger, type Logger } from '../logger';
import type { RequestObserver } from '../metrics';

/**
 * A caller's X-Request-Id is kept only when it is short and plain: no `:` (so an FCM token
 * can't pass for one) and at most 40 characters (a UUID is 36; an APNs token is 64). Anything
 * else is replaced by a fresh UUID.
 */
const INCOMING_ID = /^[A-Za-z0-9._-]{1,40}$/;

/** Route parameters that hold a device token or a tracking URL's secret: masked wherever a path is logged. */
const TOKEN_PARAMS = new Set(['token', 'tracking_id']);

/**
 * Records the route parameters as the router matched them, for the request's log line. (By
 * the time a response finishes, Express has already restored req.params if the handler
 * failed.) Each router that has parameters calls this once with their names.
 */
export function recordRouteParams(router: Router, names: readonly string[]): void {
  for (const name of names) {
    router.param(name, (_req, res, next, value: string) => {
      res.locals.routeParams = { ...(res.locals.routeParams as Record<string, string> | undefined), [name]: value };
      next();
    });
  }
}

/**
 * The path to log, built from what the router matched, never from the raw URL: the route
 * template with each parameter filled in, device tokens masked to their last 4 characters. A
 * request that matched no route logs no path at all (its text could be anything, a token too).
 */
export function loggablePath(req: Request, params: Record<string, string> | undefined): string | undefined {
  const template = (req as Request & { route?: { path?: string } }).route?.path;
  if (typeof template !== 'string') return undefined;
  const path = template.replace(/:([A-Za-z_]+)/g, (whole, name: string) => {
    const value = params?.[name];
    if (value === undefined) return whole;
    return TOKEN_PARAMS.has(name) ? maskSecret(value) : encodeURIComponent(value);
  });
  return `${req.baseUrl}${path}`;
}

/** The route template ("/users/:user_id/tokens/:token"), never the raw path, for logs and metrics. */
export function routeTemplate(req: Request): string {
  const route = (req as Request & { route?: { path?: string } }).route?.path;
  return route ? `${req.baseUrl}${route}` : 'unmatched';
}


/**
 * Gives every request an id (the caller's X-Request-Id when it is a sane one), echoes it, and
 * logs one line when the response finishes. The line has the route and the masked path
 * (loggablePath), never headers, the query string or the raw URL.
 */
export function requestContext(redactingLogger: Logger, observe?: RequestObserver, draining: () => boolean = () => false) {
  const logger = requestLineLogger(redactingLogger);
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    // No child logger per request: creating one costs more than the log line itself.
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    // While shutting down, every response closes its connection, so keep-alive clients move on:
    // decided when the headers go out, so a request already in flight when draining began says
    // so too (and Node then closes the socket after it, as the header announces).
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
      if (draining() && !this.headersSent) this.setHeader('Connection', 'close');
      return writeHead.apply(this, args);
    } as Response['writeHead'];
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplate(req);
      observe?.({ method: req.method, route, status: res.statusCode, seconds });
      const level = res.statusCode >= 500 ? 'error' : 'info';
      logger[level](
        {
          request_id: requestId,
          method: req.method,
          route,
          path: loggablePath(req, res.locals.routeParams as Record<string, string> | undefined),
          status: res.statusCode,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
          workspace_id: res.locals.principal?.workspaceId,
        },
        'request',
      );
    });
    next();
  };
}
