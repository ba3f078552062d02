import express, { type NextFunction, type Request, type Response } from 'express';
import { ValidationError } from '../errors';

/** Courier-sized requests are small; anything larger is a mistake or an attack (413). */
export const MAX_BODY_BYTES = 64 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The charset parameter of a Content-Type, if it has one. */
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/** body-parser's own shape for a charset it refuses, so the one error mapping answers both with the 415. */
function unsupportedCharset(): Error {
  return Object.assign(new Error('Unsupported charset'), { status: 415, type: 'charset.unsupported' });
}

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
    // JSON is UTF-8 (RFC 8259). body-parser would decode any utf-* charset it knows, so a body
    // labelled utf-16le is refused here rather than read as something other than what it says.
    const charset = CHARSET.exec(req.get('content-type') ?? '')?.[1]?.toLowerCase();
    if (hasBody && charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return next(unsupportedCharset());
    parse(req, res, next);
  };
}
