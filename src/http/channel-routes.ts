import type { Router } from 'express';
import type { ChannelService } from '../channels/channel-service';
import { parseOrThrow } from '../validation';
import { principalOf, requireScope } from './auth';
import { channelBody, channelParams } from './channel-schemas';
import { idPageQuery, pageOf } from './id-paging';
import { recordRouteParams } from './request-context';
import { caseSensitiveRouter } from './router';

/**
 * iOS 18 broadcast channels (docs/providers.md, "Broadcast channels"). They take the apps
 * scopes: a channel is an app's resource at Apple, made with the app's APNs credential, as the
 * app itself is; a key that may change an app's credentials may make its channels, and one
 * that only sends may publish to them (POST /send, scope send) but not create or delete them.
 */
export function channelRoutes(channels: ChannelService): Router {
  const router = caseSensitiveRouter();
  recordRouteParams(router, ['channel_id']);
  const read = requireScope('apps:read');
  const write = requireScope('apps:write');

  router.post('/live-activities/channels', write, async (req, res) => {
    const body = parseOrThrow(channelBody, req.body ?? {});
    res.status(201).json(await channels.create(principalOf(res).workspaceId, body));
  });
  router.get('/live-activities/channels', read, async (req, res) => {
    const { limit, cursor } = parseOrThrow(idPageQuery, req.query);
    const { page, paging } = pageOf(await channels.list(principalOf(res).workspaceId, { limit: limit + 1, after: cursor }), limit, (c) => c.channel_id);
    res.json({ channels: page, paging });
  });
  router.get('/live-activities/channels/:channel_id', read, async (req, res) => {
    const { channel_id } = parseOrThrow(channelParams, req.params);
    res.json(await channels.get(principalOf(res).workspaceId, channel_id));
  });
  router.delete('/live-activities/channels/:channel_id', write, async (req, res) => {
    const { channel_id } = parseOrThrow(channelParams, req.params);
    await channels.delete(principalOf(res).workspaceId, channel_id);
    res.status(204).end();
  });
  return router;
}
