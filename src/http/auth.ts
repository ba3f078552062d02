import type { NextFunction, Request, Response } from 'express';
import type { ApiKeyStore, Principal } from '../auth/api-keys';
import type { Scope } from '../auth/scopes';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../errors';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * How many Authorization headers came. Node keeps only the first of several, while a proxy in
 * front may read the last: two headers could authenticate two different callers, so a
 * request with more than one is refused.
 */
function authorizationHeaderCount(req: Request): number {
  let count = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === 'authorization') count++;
  }
  return count;
}

/** `Authorization: Bearer <key>`; a missing or unknown key is a 401 with no hint of which. */
export function authenticate(keys: ApiKeyStore) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (authorizationHeaderCount(req) > 1) {
      return next(new ValidationError([{ path: 'Authorization', message: 'must be sent once' }]));
    }
    const match = BEARER.exec(req.get('authorization') ?? '');
    const principal = match ? keys.find(match[1]!) : undefined;
    if (!principal) return next(new UnauthenticatedError('A valid API key is required: Authorization: Bearer <key>'));
    res.locals.principal = principal;
    next();
  };
}

export function requireScope(scope: Scope) {
  return (_req: Request, res: Response, next: NextFunction) => {
    const principal = res.locals.principal as Principal | undefined;
    if (!principal) return next(new UnauthenticatedError('A valid API key is required'));
    if (!principal.scopes.has(scope)) return next(new ForbiddenError(scope));
    next();
  };
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
