import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { maskPath, type Logger } from '../logger';

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The route template ("/users/:user_id/tokens/:token"), never the raw path, for logs and metrics. */
export function routeTemplate(req: Request): string {
  const route = (req as Request & { route?: { path?: string } }).route?.path;
  return route ? `${req.baseUrl}${route}` : 'unmatched';
}

export type RequestObserver = (info: { method: string; route: string; status: number; seconds: number }) => void;

/**
 * Gives every request an id (the caller's X-Request-Id when it is a sane one), echoes it, and
 * logs one line when the response finishes. The line has the masked path, never headers.
 */
export function requestContext(logger: Logger, observe?: RequestObserver, draining: () => boolean = () => false) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    // No child logger per request: creating one costs more than the log line itself.
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    // While shutting down, every response closes its connection, so keep-alive clients move on.
    if (draining()) res.setHeader('Connection', 'close');
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
          path: maskPath(req.originalUrl),
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
