import type { Router } from 'express';
import type { WebPushPublicKeys } from '../apps/webpush-public-keys';
import { parseOrThrow } from '../validation';
import { principalOf } from './auth';
import { caseSensitiveRouter } from './router';
import { publicKeyQuery } from './webpush-schemas';

/**
 * GET /webpush/public-key?app_id=…: for any caller of the workspace, a user token included
 * (a page subscribing in the browser holds one, never a secret key). It answers a public key.
 */
export function webPushRoutes(keys: WebPushPublicKeys): Router {
  const router = caseSensitiveRouter();
  router.get('/webpush/public-key', async (req, res) => {
    const { app_id } = parseOrThrow(publicKeyQuery, req.query);
    res.set('cache-control', 'private, max-age=300').json(await keys.forApp(principalOf(res).workspaceId, app_id));
  });
  return router;
}
