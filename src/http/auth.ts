import type { NextFunction, Request, Response } from 'express';
import type { ApiKeyStore } from '../auth/api-keys';
import type { Principal } from '../auth/principal';
import type { Scope } from '../auth/scopes';
import { READ_USER_TOKENS, WRITE_USER_TOKENS, type UserTokenScope } from '../auth/user-scope';
import { JWT_SHAPE, type UserTokens } from '../auth/user-tokens';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../errors';
import type { FailedAuthBudget } from './failed-auth-limit';

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

/**
 * `Authorization: Bearer <secret API key or user token>`. A value shaped like a JWT is
 * verified as a user token and never falls back to API-key rights. A missing, unknown,
 * expired or tampered credential is a 401 with no hint of which.
 */
export function authenticate(keys: ApiKeyStore, userTokens: UserTokens, failures?: FailedAuthBudget) {
  return async (req: Request, res: Response, next: NextFunction) => {
    if (authorizationHeaderCount(req) > 1) {
      return next(new ValidationError([{ path: 'Authorization', message: 'must be sent once' }]));
    }
    // Counted as a failure from here until it succeeds (FailedAuthBudget); a 429 if none are left.
    const attempt = failures?.attempt(req.ip);
    const presented = BEARER.exec(req.get('authorization') ?? '')?.[1];
    const principal: Principal | undefined = !presented
      ? undefined
      : JWT_SHAPE.test(presented)
        ? await userTokens.verify(presented)
        : keys.find(presented);
    if (!principal) return next(new UnauthenticatedError('A valid API key or user token is required: Authorization: Bearer <key or token>'));
    attempt?.succeeded();
    res.locals.principal = principal;
    next();
  };
}

/**
 * Lets the request through if the caller may act with `scope`. An API key needs the scope. A
 * user token is refused unless the route is about one user, named by the path parameter
 * `forUser`, and that user is one of the token's: `read:user-tokens` stands for the read
 * scopes, `write:user-tokens` for the write scopes, each only as far as the token's issuer held
 * it (UserPrincipal.reach). Routes that do not pass `forUser` (bulk
 * writes, sending, issuing tokens, and any route added later) refuse user tokens.
 */
export function requireScope(scope: Scope, forUser?: 'user_id' | 'person_id') {
  return (req: Request, res: Response, next: NextFunction) => {
    const principal = res.locals.principal as Principal | undefined;
    if (!principal) return next(new UnauthenticatedError('A valid API key is required'));
    if (principal.kind === 'api-key') return principal.scopes.has(scope) ? next() : next(new ForbiddenError(scope));
    if (!forUser) return next(new ForbiddenError(scope, 'User tokens can not call this route; it needs a secret API key'));
    const reading = scope.endsWith(':read');
    if (!(reading ? principal.read : principal.write)) {
      const needed = reading ? READ_USER_TOKENS : WRITE_USER_TOKENS;
      return next(new ForbiddenError(needed, `This user token lacks the scope ${needed}`));
    }
    if (!principal.reach.has(scope as UserTokenScope)) {
      return next(new ForbiddenError(scope, `This user token does not reach ${scope}: whoever issued it does not hold that scope`));
    }
    const userId = req.params[forUser];
    if (typeof userId !== 'string' || !principal.userIds.has(userId)) {
      return next(new ForbiddenError(`user_id:${userId ?? ''}`, 'This user token does not act for this user'));
    }
    next();
  };
}

/** Only a secret API key, whatever its scopes (POST /auth/issue-token). */
export function requireApiKey(_req: Request, res: Response, next: NextFunction) {
  const principal = res.locals.principal as Principal | undefined;
  if (principal?.kind !== 'api-key') return next(new ForbiddenError('api-key', 'User tokens can not call this route; it needs a secret API key'));
  next();
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
