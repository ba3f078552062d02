import type { NextFunction, Request, Response } from 'express';
import { errorForLog, type Logger } from '../logger';
import { DomainError, ForbiddenError, RateLimitedError, ValidationError, type ErrorKind, type FieldProblem } from '../errors';

/**
 * The one place where errors become HTTP. Every error body has a stable `type`, Courier's
 * style; a 400 also lists every offending field in `errors`.
 */
export type ErrorBody = { type: string; message: string; errors?: FieldProblem[]; missing_scope?: string };

/** Complete by type: a new ErrorKind does not compile until it has its status here. */
const DOMAIN_STATUS: Record<ErrorKind, { status: number; type: string }> = {
  validation: { status: 400, type: 'invalid_request_error' },
  unauthenticated: { status: 401, type: 'authentication_error' },
  forbidden: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'not_found_error' },
  conflict: { status: 409, type: 'conflict_error' },
  unprocessable: { status: 422, type: 'invalid_request_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  too_many_headers: { status: 431, type: 'invalid_request_error' },
  unavailable: { status: 503, type: 'service_unavailable_error' },
};

/** Seconds a client should wait before retrying while the database is unreachable. */
const UNAVAILABLE_RETRY_AFTER_S = 2;

/** Socket errors the driver can let through unwrapped when the server goes away mid-write. */
const CONNECTION_ERROR_CODES = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT']);

/**
 * Driver and mongoose errors that mean "the database can't be reached", not "your request is
 * bad". Only errors from the request's own work reach the error handler, and every such I/O is
 * the database's, so a bare socket error here is the database's too.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  const { name = '', message = '', code, cause } = (error ?? {}) as { name?: string; message?: string; code?: unknown; cause?: unknown };
  return (
    /^Mongo(ServerSelection|Network|NotConnected|NetworkTimeout|TopologyClosed|PoolCleared)Error$/.test(name) ||
    /^PoolCleared(OnNetwork)?Error$/.test(name) ||
    name === 'MongooseServerSelectionError' ||
    (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) ||
    /buffering timed out|Client must be connected|connection .* closed|socket has been ended/i.test(message) ||
    // A bulk write that lost its connection is a MongoBulkWriteError carrying the socket error's
    // message ("connect ECONNREFUSED …"), with no code of its own (seen in test/reliability/faults.test.ts).
    (/^Mongo\w*Error$/.test(name) && /\b(connect )?(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT)\b/.test(message)) ||
    (depth < 3 && cause !== undefined && cause !== error && isDatabaseUnavailable(cause, depth + 1))
  );
}

/** zlib (Z_DATA_ERROR, …) and brotli (ERR__ERROR_FORMAT_…) failures, raised while body-parser inflates a body. */
function isDecompressionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(Z_|ERR__)/.test(code);
}

type HttpishError = { status?: number; statusCode?: number; type?: string; expose?: boolean };

function classify(error: unknown): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  if (error instanceof DomainError) {
    const { status, type } = DOMAIN_STATUS[error.kind];
    const body: ErrorBody = { type, message: error.message };
    if (error instanceof ValidationError) body.errors = error.problems;
    if (error instanceof ForbiddenError) body.missing_scope = error.missingScope;
    if (status === 401) return { status, body, headers: { 'WWW-Authenticate': 'Bearer' } };
    if (error instanceof RateLimitedError && error.retryAfterSeconds !== undefined) return { status, body, headers: { 'Retry-After': String(error.retryAfterSeconds) } };
    return { status, body };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      status: 503,
      body: { type: 'service_unavailable_error', message: 'The database is unavailable; retry shortly' },
      headers: { 'Retry-After': String(UNAVAILABLE_RETRY_AFTER_S) },
    };
  }
  const http = (error ?? {}) as HttpishError;
  if (http.type === 'entity.too.large') {
    return { status: 413, body: { type: 'invalid_request_error', message: 'The request body is larger than 64 KB' } };
  }
  if (http.type === 'entity.parse.failed') {
    const errors = [{ path: 'body', message: 'is not valid JSON' }];
    return { status: 400, body: { type: 'invalid_request_error', message: 'The request body is not valid JSON', errors } };
  }
  if (http.type === 'charset.unsupported') {
    const errors = [{ path: 'Content-Type', message: 'must be application/json with charset utf-8' }];
    return { status: 415, body: { type: 'invalid_request_error', message: 'Unsupported body charset', errors } };
  }
  if (http.type === 'encoding.unsupported') {
    const errors = [{ path: 'Content-Encoding', message: 'must be gzip, deflate, br or identity' }];
    return { status: 415, body: { type: 'invalid_request_error', message: 'Unsupported body encoding', errors } };
  }
  if (isDecompressionError(error)) {
    // zlib's own words ("incorrect header check") say nothing useful to a client.
    const errors = [{ path: 'Content-Encoding', message: 'does not match the body: it could not be decompressed' }];
    return { status: 400, body: { type: 'invalid_request_error', message: 'The request body could not be decompressed', errors } };
  }
  if (error instanceof URIError) {
    const errors = [{ path: 'path', message: 'is not valid percent-encoding' }];
    return { status: 400, body: { type: 'invalid_request_error', message: 'The URL is malformed', errors } };
  }
  const status = http.status ?? http.statusCode;
  if (status && status >= 400 && status < 500) {
    return { status, body: { type: 'invalid_request_error', message: http.expose ? String((error as Error).message) : 'Bad request' } };
  }
  return { status: 500, body: { type: 'api_error', message: 'Internal error' } };
}

export function errorHandler(logger: Logger) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const { status, body, headers } = classify(error);
    if (status >= 500) {
      logger.error({ request_id: res.locals.requestId, error: errorForLog(error) }, status === 503 ? 'dependency unavailable' : 'unhandled error');
    }
    if (headers) res.set(headers);
    res.status(status).json(body);
  };
}

export function notFoundHandler(req: Request, res: Response) {
  res.status(404).json({ type: 'not_found_error', message: `No route for ${req.method} on this path` });
}
