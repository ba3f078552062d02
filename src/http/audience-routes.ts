import type { Router } from 'express';
import { audienceView, type AudienceStore } from '../audiences/audience-store';
import { ValidationError } from '../errors';
import { maskSecret } from '../logger';
import { parseOrThrow } from '../validation';
import { audienceParams, audiencesQuery, putAudienceBody } from './audience-schemas';
import { principalOf, requireScope } from './auth';
import { pageOf } from './id-paging';
import { recordRouteParams } from './request-context';
import { caseSensitiveRouter } from './router';

/** Courier's audiences API over devices (docs/api.md). */
export function audienceRoutes(audiences: AudienceStore, now: () => Date): Router {
  const router = caseSensitiveRouter();
  recordRouteParams(router, ['audience_id']);
  const read = requireScope('audiences:read');
  const write = requireScope('audiences:write');

  router.get('/audiences', read, async (req, res) => {
    const { limit, cursor } = parseOrThrow(audiencesQuery, req.query);
    const docs = await audiences.page(principalOf(res).workspaceId, { limit: limit + 1, ...(cursor !== undefined ? { after: cursor } : {}) });
    const { page, paging } = pageOf(docs, limit, (a) => a.audience_id);
    res.json({ items: page.map(audienceView), paging });
  });

  router.get('/audiences/:audience_id', read, async (req, res) => {
    const { audience_id } = parseOrThrow(audienceParams, req.params);
    res.json(audienceView(await audiences.get(principalOf(res).workspaceId, audience_id)));
  });

  router.put('/audiences/:audience_id', write, async (req, res) => {
    const { audience_id } = parseOrThrow(audienceParams, req.params);
    const body = parseOrThrow(putAudienceBody, req.body ?? {});
    res.json({ audience: audienceView(await audiences.put(principalOf(res).workspaceId, audience_id, body, now())) });
  });

  router.delete('/audiences/:audience_id', write, async (req, res) => {
    const { audience_id } = parseOrThrow(audienceParams, req.params);
    await audiences.delete(principalOf(res).workspaceId, audience_id);
    res.status(204).end();
  });

  router.get('/audiences/:audience_id/count', read, async (req, res) => {
    const { audience_id } = parseOrThrow(audienceParams, req.params);
    const workspaceId = principalOf(res).workspaceId;
    res.json({ count: await audiences.count(workspaceId, await audiences.get(workspaceId, audience_id), now()) });
  });

  router.get('/audiences/:audience_id/members', read, async (req, res) => {
    const { audience_id } = parseOrThrow(audienceParams, req.params);
    const { limit, cursor } = parseOrThrow(audiencesQuery, req.query);
    const workspaceId = principalOf(res).workspaceId;
    const audience = await audiences.get(workspaceId, audience_id);
    if (cursor !== undefined && !/^[0-9a-f]{24}$/.test(cursor)) throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this service gave' }]);
    const docs = await audiences.members(workspaceId, audience, now(), { limit: limit + 1, ...(cursor !== undefined ? { after: cursor } : {}) });
    const { page, paging } = pageOf(docs, limit, (m) => m._id.toHexString());
    // Courier's member fields; a member is one device here, so its token is named by hint (token_id reaches it with tokens:read).
    res.json({
      items: page.map((m) => ({
        audience_id,
        audience_version: audience.version,
        member_id: m.user_id,
        added_at: (m.created_at ?? audience.updated_at).toISOString(),
        reason: 'filter',
        token_id: m._id.toHexString(),
        token: maskSecret(m.token),
        provider_key: m.provider_key,
        app_id: m.device?.app_id ?? null,
        platform: m.device?.platform ?? null,
      })),
      paging,
    });
  });
  return router;
}
