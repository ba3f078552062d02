import type { Router } from 'express';
import { listView, type ListStore } from '../audiences/list-store';
import { parseOrThrow } from '../validation';
import { principalOf, requireScope } from './auth';
import { pageOf } from './id-paging';
import { emptyBody, listParams, listsQuery, listUserParams, putListBody, subscribeUserBody, subscriptionsBody } from './list-schemas';
import { recordRouteParams } from './request-context';
import { caseSensitiveRouter } from './router';

/**
 * Courier's lists API (docs/api.md): lists, their subscriptions, and courier-js's
 * `/client/lists/…` calls, with which an app subscribes its own user with a user token.
 */
export function listRoutes(lists: ListStore, now: () => Date): Router {
  const router = caseSensitiveRouter();
  recordRouteParams(router, ['list_id', 'user_id']);
  const read = requireScope('lists:read');
  const write = requireScope('lists:write');
  const writeForUser = requireScope('lists:write', 'user_id');
  const workspace = (res: Parameters<typeof principalOf>[0]) => principalOf(res).workspaceId;

  router.get('/lists', read, async (req, res) => {
    const { limit, cursor, pattern } = parseOrThrow(listsQuery, req.query);
    const docs = await lists.page(workspace(res), { limit: limit + 1, ...(cursor !== undefined ? { after: cursor } : {}), ...(pattern !== undefined ? { pattern } : {}) });
    const { page, paging } = pageOf(docs, limit, (l) => l.list_id);
    res.json({ items: page.map(listView), paging });
  });

  router.get('/lists/:list_id', read, async (req, res) => {
    const { list_id } = parseOrThrow(listParams, req.params);
    res.json(listView(await lists.get(workspace(res), list_id)));
  });

  router.put('/lists/:list_id', write, async (req, res) => {
    const { list_id } = parseOrThrow(listParams, req.params);
    const { name } = parseOrThrow(putListBody, req.body ?? {});
    await lists.put(workspace(res), list_id, name, now());
    res.status(204).end();
  });

  router.delete('/lists/:list_id', write, async (req, res) => {
    const { list_id } = parseOrThrow(listParams, req.params);
    await lists.delete(workspace(res), list_id, now());
    res.status(204).end();
  });

  router.put('/lists/:list_id/restore', write, async (req, res) => {
    const { list_id } = parseOrThrow(listParams, req.params);
    parseOrThrow(emptyBody, req.body ?? {});
    await lists.restore(workspace(res), list_id, now());
    res.status(204).end();
  });

  router.get('/lists/:list_id/subscriptions', read, async (req, res) => {
    const { list_id } = parseOrThrow(listParams, req.params);
    const { limit, cursor } = parseOrThrow(listsQuery.omit({ pattern: true }), req.query);
    const docs = await lists.members(workspace(res), list_id, { limit: limit + 1, ...(cursor !== undefined ? { after: cursor } : {}) });
    const { page, paging } = pageOf(docs, limit, (s) => s.user_id);
    res.json({ items: page.map((s) => ({ recipientId: s.user_id, created: s.created.toISOString(), ...(s.preferences != null ? { preferences: s.preferences } : {}) })), paging });
  });

  const recipientsOf = (body: unknown) =>
    parseOrThrow(subscriptionsBody, body ?? {}).recipients.map((r) => ({ user_id: r.recipientId, ...(r.preferences != null ? { preferences: r.preferences } : {}) }));

  router.post('/lists/:list_id/subscriptions', write, async (req, res) => {
    const { list_id } = parseOrThrow(listParams, req.params);
    await lists.subscribe(workspace(res), list_id, recipientsOf(req.body), now());
    res.status(204).end();
  });

  router.put('/lists/:list_id/subscriptions', write, async (req, res) => {
    const { list_id } = parseOrThrow(listParams, req.params);
    await lists.replace(workspace(res), list_id, recipientsOf(req.body), now());
    res.status(204).end();
  });

  const subscribeOne = async (req: Parameters<Parameters<typeof router.put>[1]>[0], res: Parameters<typeof principalOf>[0]) => {
    const { list_id, user_id } = parseOrThrow(listUserParams, req.params);
    const body = parseOrThrow(subscribeUserBody, req.body ?? {});
    await lists.subscribe(workspace(res), list_id, [{ user_id, ...(body?.preferences != null ? { preferences: body.preferences } : {}) }], now());
    res.status(204).end();
  };
  const unsubscribeOne = async (req: Parameters<Parameters<typeof router.put>[1]>[0], res: Parameters<typeof principalOf>[0]) => {
    const { list_id, user_id } = parseOrThrow(listUserParams, req.params);
    await lists.unsubscribe(workspace(res), list_id, user_id);
    res.status(204).end();
  };
  router.put('/lists/:list_id/subscriptions/:user_id', writeForUser, subscribeOne);
  router.delete('/lists/:list_id/subscriptions/:user_id', writeForUser, unsubscribeOne);
  // courier-js (the client SDK): lists.putSubscription / deleteSubscription, with a user token.
  router.put('/client/lists/:list_id/subscribe/:user_id', writeForUser, subscribeOne);
  router.delete('/client/lists/:list_id/unsubscribe/:user_id', writeForUser, unsubscribeOne);
  return router;
}
