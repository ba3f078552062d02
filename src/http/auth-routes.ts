import type { Router } from 'express';
import { parseExpiresIn } from '../auth/expires-in';
import { parseUserScope, USER_TOKEN_REACH, userTokenReach } from '../auth/user-scope';
import type { UserTokens } from '../auth/user-tokens';
import { ForbiddenError, ValidationError } from '../errors';
import { parseOrThrow } from '../validation';
import { principalOf, requireApiKey } from './auth';
import { issueTokenBody } from './auth-schemas';
import { caseSensitiveRouter } from './router';

/** A user token lives this long when the request does not say (Courier's examples use hours to days). */
export const DEFAULT_USER_TOKEN_TTL_SECONDS = 24 * 3600;

/** POST /auth/issue-token (secret API keys only). Its JWKS is published by publicKeyRoutes. */
export function authRoutes(userTokens: UserTokens): Router {
  const router = caseSensitiveRouter();
  router.post('/auth/issue-token', requireApiKey, async (req, res) => {
    const body = parseOrThrow(issueTokenBody, req.body ?? {});
    const parsed = parseUserScope(body.scope);
    if ('problem' in parsed) throw new ValidationError([{ path: 'scope', message: parsed.problem }]);
    const ttl = body.expires_in === undefined ? DEFAULT_USER_TOKEN_TTL_SECONDS : parseExpiresIn(body.expires_in);
    if (ttl === undefined) {
      throw new ValidationError([{ path: 'expires_in', message: 'must be a duration such as "2 hours", "1d", "30m" or a number of seconds' }]);
    }
    if (ttl > userTokens.maxTtlSeconds) {
      throw new ValidationError([{ path: 'expires_in', message: `must be at most ${userTokens.maxTtlSeconds} seconds (USER_TOKEN_MAX_TTL)` }]);
    }
    // A key can't grant what it doesn't hold: the token reaches each API only where the key does.
    const principal = principalOf(res);
    if (principal.kind !== 'api-key') return;
    const { reach, empty } = userTokenReach(parsed.scope, principal.scopes);
    if (empty.length > 0) {
      const part = empty[0]!;
      const needed = USER_TOKEN_REACH[part];
      throw new ForbiddenError(needed[0], `Only a key with ${needed.join(' or ')} can issue ${part}:user-tokens`);
    }
    res.json({ token: await userTokens.issue(principal.workspaceId, parsed.scope, ttl, reach) });
  });
  // Who this key is: the console signs in with it, and offers only what its scopes allow.
  router.get('/auth/key', requireApiKey, (_req, res) => {
    const principal = principalOf(res);
    if (principal.kind !== 'api-key') return;
    res.json({ workspace_id: principal.workspaceId, scopes: [...principal.scopes].sort(), key_hint: principal.keyHint });
  });
  return router;
}

/** GET /.well-known/jwks.json: the public halves of the service's signing keys. Unauthenticated. */
export function publicKeyRoutes(userTokens: UserTokens): Router {
  const router = caseSensitiveRouter();
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300');
    res.json(userTokens.publicJwks());
  });
  return router;
}
