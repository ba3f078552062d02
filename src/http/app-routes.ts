import type { Router } from 'express';
import { appBody, appParams, credentialBody, credentialParams } from '../apps/credential-schemas';
import type { CredentialStore } from '../apps/credential-store';
import { parseOrThrow } from '../validation';
import { idPageQuery, pageOf } from './id-paging';
import { principalOf, requireScope } from './auth';
import { recordRouteParams } from './request-context';
import { caseSensitiveRouter } from './router';

/**
 * A workspace's provider credentials and apps (scopes apps:read and apps:write; user tokens
 * never reach these). Secrets are write-only: answers carry fingerprints.
 */
export function appRoutes(store: CredentialStore): Router {
  const router = caseSensitiveRouter();
  recordRouteParams(router, ['credential_id', 'app_id']);
  const read = requireScope('apps:read');
  const write = requireScope('apps:write');

  router.put('/credentials/:credential_id', write, async (req, res) => {
    const { credential_id } = parseOrThrow(credentialParams, req.params);
    const body = parseOrThrow(credentialBody, req.body ?? {});
    const { created, credential } = await store.putCredential(principalOf(res).workspaceId, credential_id, body);
    res.status(created ? 201 : 200).json(credential);
  });
  router.get('/credentials', read, async (req, res) => {
    const { limit, cursor } = parseOrThrow(idPageQuery, req.query);
    const { page, paging } = pageOf(await store.listCredentials(principalOf(res).workspaceId, { limit: limit + 1, after: cursor }), limit, (c) => c.credential_id);
    res.json({ credentials: page, paging });
  });
  router.get('/credentials/:credential_id', read, async (req, res) => {
    const { credential_id } = parseOrThrow(credentialParams, req.params);
    res.json(await store.getCredential(principalOf(res).workspaceId, credential_id));
  });
  router.delete('/credentials/:credential_id', write, async (req, res) => {
    const { credential_id } = parseOrThrow(credentialParams, req.params);
    await store.deleteCredential(principalOf(res).workspaceId, credential_id);
    res.status(204).end();
  });

  router.put('/apps/:app_id', write, async (req, res) => {
    const { app_id } = parseOrThrow(appParams, req.params);
    const body = parseOrThrow(appBody, req.body ?? {});
    const { created, app } = await store.putApp(principalOf(res).workspaceId, app_id, body);
    res.status(created ? 201 : 200).json(app);
  });
  router.get('/apps', read, async (req, res) => {
    const { limit, cursor } = parseOrThrow(idPageQuery, req.query);
    const { page, paging } = pageOf(await store.listApps(principalOf(res).workspaceId, { limit: limit + 1, after: cursor }), limit, (a) => a.app_id);
    res.json({ apps: page, paging });
  });
  router.get('/apps/:app_id', read, async (req, res) => {
    const { app_id } = parseOrThrow(appParams, req.params);
    res.json(await store.getApp(principalOf(res).workspaceId, app_id));
  });
  router.delete('/apps/:app_id', write, async (req, res) => {
    const { app_id } = parseOrThrow(appParams, req.params);
    await store.deleteApp(principalOf(res).workspaceId, app_id);
    res.status(204).end();
  });
  return router;
}
