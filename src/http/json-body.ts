import express, { type NextFunction, type Request, type Response } from 'express';
import { ValidationError } from '../errors';

/** Courier-sized requests are small; anything larger is a mistake or an attack (413). */
export const MAX_BODY_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class InvalidEncodingError extends ValidationError {
  constructor() {
    super([{ path: 'body', message: 'must be valid UTF-8' }]);
  }
}

/**
 * Parses JSON bodies only when they say they are JSON. A body of another type is a 400 that
 * names Content-Type; invalid UTF-8 is refused instead of being silently replaced with U+FFFD.
 */
export function jsonBody() {
  const parse = express.json({
    limit: MAX_BODY_BYTES,
    strict: true,
    type: 'application/json',
    verify: (_req, _res, buffer) => {
      try {
        utf8.decode(buffer);
      } catch {
        throw new InvalidEncodingError();
      }
    },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
    if (hasBody && !req.is('application/json')) {
      return next(new ValidationError([{ path: 'Content-Type', message: 'must be application/json' }]));
    }
    parse(req, res, next);
  };
}
