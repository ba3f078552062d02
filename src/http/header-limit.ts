import type { NextFunction, Request, Response } from 'express';
import { TooManyHeadersError } from '../errors';

/**
 * The most request headers the service reads. Browsers send about 20 and proxies add a few;
 * a request with more is refused with a 431 before anything else looks at it. Node silently
 * drops every header past its server's maxHeadersCount, so a second Authorization hidden past
 * the cut would go unseen: the server keeps one header more than this bound
 * (createHttpServer), and a request that reaches the bound is refused whole.
 */
export const MAX_REQUEST_HEADERS = 100;

export function refuseTooManyHeaders(req: Request, _res: Response, next: NextFunction): void {
  if (req.rawHeaders.length / 2 > MAX_REQUEST_HEADERS) {
    return next(new TooManyHeadersError(`A request may carry at most ${MAX_REQUEST_HEADERS} headers`));
  }
  next();
}
