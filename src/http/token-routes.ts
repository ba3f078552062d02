import { caseSensitiveRouter } from './router';
import { recordRouteParams } from './request-context';
import type { Router } from 'express';
import type { PatchOperation } from '../tokens/json-patch';
import type { TokenRegistry } from '../tokens/token-registry';
import { ValidationError } from '../errors';
import { parseOrThrow } from '../validation';
import { principalOf, requireScope } from './auth';
import { listTokensQuery, lookupParams, patchTokenBody, putTokenBody, putTokensBody, tokenParams, userParams } from './token-schemas';

/** Courier's token management API: /users/:user_id/tokens[/:token]. */
export function tokenRoutes(registry: TokenRegistry): Router {
  const router = caseSensitiveRouter();
  recordRouteParams(router, ['user_id', 'token']);
  // User tokens may act on one token, or list, for their own users; bulk writes need an API key.
  const read = requireScope('tokens:read', 'user_id');
  const write = requireScope('tokens:write', 'user_id');
  const bulkWrite = requireScope('tokens:write');

  router.put('/users/:user_id/tokens/:token', write, async (req, res) => {
    const { user_id, token } = parseOrThrow(tokenParams, req.params);
    const { token: bodyToken, ...registration } = parseOrThrow(putTokenBody, req.body ?? {});
    if (bodyToken !== undefined && bodyToken !== token) {
      throw new ValidationError([{ path: 'token', message: 'must equal the token in the URL' }]);
    }
    await registry.put(principalOf(res).workspaceId, user_id, token, registration);
    res.status(204).end();
  });

  router.put('/users/:user_id/tokens', bulkWrite, async (req, res) => {
    const { user_id } = parseOrThrow(userParams, req.params);
    const { tokens } = parseOrThrow(putTokensBody, req.body ?? {});
    const items = tokens.map(({ token, ...registration }) => ({ token, registration }));
    await registry.putMany(principalOf(res).workspaceId, user_id, items);
    res.status(204).end();
  });

  router.get('/users/:user_id/tokens/:token', read, async (req, res) => {
    const { user_id, token } = parseOrThrow(tokenParams, req.params);
    res.json(await registry.get(principalOf(res).workspaceId, user_id, token));
  });

  // Which user holds a token: API keys only (a user token may only see its own user's tokens).
  router.get('/tokens/:token', requireScope('tokens:read'), async (req, res) => {
    const { token } = parseOrThrow(lookupParams, req.params);
    res.json(await registry.lookup(principalOf(res).workspaceId, token));
  });

  router.get('/users/:user_id/tokens', read, async (req, res) => {
    const { user_id } = parseOrThrow(userParams, req.params);
    const query = parseOrThrow(listTokensQuery, req.query);
    res.json(await registry.list(principalOf(res).workspaceId, user_id, query));
  });

  router.patch('/users/:user_id/tokens/:token', write, async (req, res) => {
    const { user_id, token } = parseOrThrow(tokenParams, req.params);
    const { patch } = parseOrThrow(patchTokenBody, req.body ?? {});
    await registry.patch(principalOf(res).workspaceId, user_id, token, patch as PatchOperation[]);
    res.status(204).end();
  });

  router.delete('/users/:user_id/tokens/:token', write, async (req, res) => {
    const { user_id, token } = parseOrThrow(tokenParams, req.params);
    await registry.delete(principalOf(res).workspaceId, user_id, token);
    res.status(204).end();
  });

  return router;
}
