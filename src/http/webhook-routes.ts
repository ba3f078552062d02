import { ObjectId } from 'mongodb';
import type { Router } from 'express';
import { ForbiddenError, ValidationError } from '../errors';
import { destinationProblem, type DestinationPolicy } from '../webhooks/destination';
import { endpointView, type EndpointStore } from '../webhooks/endpoint-store';
import { EVENT_SCOPES, webhookTest, type WebhookEventType } from '../webhooks/events';
import type { Outbox } from '../webhooks/outbox';
import { parseOrThrow } from '../validation';
import { idPageQuery, pageOf } from './id-paging';
import { principalOf, requireScope } from './auth';
import { recordRouteParams } from './request-context';
import { caseSensitiveRouter } from './router';
import { attemptsQuery, createWebhookBody, updateWebhookBody, webhookParams } from './webhook-schemas';

/**
 * The webhook endpoints API (docs/webhooks.md), for API keys with webhooks:read or
 * webhooks:write. The secret is answered on creation and rotation only. Creating, redirecting,
 * re-subscribing or re-keying an endpoint for token.invalidated needs tokens:read too (whole
 * tokens), and for message.updated messages:read (recipients).
 */
export function webhookRoutes(endpoints: EndpointStore, outbox: Outbox, policy: DestinationPolicy, now: () => Date): Router {
  const router = caseSensitiveRouter();
  recordRouteParams(router, ['webhook_id']);
  const read = requireScope('webhooks:read');
  const write = requireScope('webhooks:write');
  const checkUrl = (url: string) => {
    const problem = destinationProblem(url, policy);
    if (problem) throw new ValidationError([{ path: 'url', message: problem }]);
  };
  /**
   * An endpoint's reach: whoever points it somewhere (url), changes what it receives (events)
   * or re-keys it (rotate-secret) reads what its events carry, so needs that scope too.
   */
  const checkReach = (res: Parameters<typeof principalOf>[0], events: readonly WebhookEventType[]) => {
    const principal = principalOf(res);
    for (const event of new Set(events)) {
      const scope = Object.hasOwn(EVENT_SCOPES, event) ? EVENT_SCOPES[event] : undefined;
      if (scope && !(principal.kind === 'api-key' && principal.scopes.has(scope))) {
        throw new ForbiddenError(scope, `${event} events carry ${scope === 'tokens:read' ? 'whole tokens' : 'recipients'}: redirecting, subscribing or re-keying such an endpoint needs ${scope} too`);
      }
    }
  };

  router.post('/webhooks', write, async (req, res) => {
    const body = parseOrThrow(createWebhookBody, req.body ?? {});
    checkUrl(body.url);
    checkReach(res, body.events);
    const { endpoint, secret } = await endpoints.create(principalOf(res).workspaceId, { url: body.url, events: [...new Set(body.events)], description: body.description }, now());
    res.status(201).json({ ...endpoint, secret });
  });

  router.get('/webhooks', read, async (req, res) => {
    const { limit, cursor } = parseOrThrow(idPageQuery, req.query);
    const { page, paging } = pageOf(await endpoints.list(principalOf(res).workspaceId, { limit: limit + 1, after: cursor }), limit, (e) => e._id);
    res.json({ webhooks: page.map(endpointView), paging });
  });

  router.get('/webhooks/:webhook_id', read, async (req, res) => {
    const { webhook_id } = parseOrThrow(webhookParams, req.params);
    res.json(endpointView(await endpoints.get(principalOf(res).workspaceId, webhook_id)));
  });

  router.patch('/webhooks/:webhook_id', write, async (req, res) => {
    const { webhook_id } = parseOrThrow(webhookParams, req.params);
    const body = parseOrThrow(updateWebhookBody, req.body ?? {});
    if (body.url !== undefined) checkUrl(body.url);
    if (body.events || body.url !== undefined) {
      const workspaceId = principalOf(res).workspaceId;
      checkReach(res, body.events ?? (await endpoints.get(workspaceId, webhook_id)).events);
    }
    const changes = {
      ...(body.url !== undefined ? { url: body.url } : {}),
      ...(body.events ? { events: [...new Set(body.events)] } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
    };
    res.json(endpointView(await endpoints.update(principalOf(res).workspaceId, webhook_id, changes, now())));
  });

  router.delete('/webhooks/:webhook_id', write, async (req, res) => {
    const { webhook_id } = parseOrThrow(webhookParams, req.params);
    await endpoints.remove(principalOf(res).workspaceId, webhook_id);
    res.status(204).end();
  });

  router.post('/webhooks/:webhook_id/rotate-secret', write, async (req, res) => {
    const { webhook_id } = parseOrThrow(webhookParams, req.params);
    checkReach(res, (await endpoints.get(principalOf(res).workspaceId, webhook_id)).events);
    res.json({ secret: await endpoints.rotate(principalOf(res).workspaceId, webhook_id, now()) });
  });

  router.post('/webhooks/:webhook_id/test', write, async (req, res) => {
    const { webhook_id } = parseOrThrow(webhookParams, req.params);
    const endpoint = await endpoints.get(principalOf(res).workspaceId, webhook_id);
    const event = webhookTest(now());
    await outbox.addTo(endpoint, event, now());
    res.status(202).json({ event_id: event.id });
  });

  router.get('/webhooks/:webhook_id/attempts', read, async (req, res) => {
    const { webhook_id } = parseOrThrow(webhookParams, req.params);
    const query = parseOrThrow(attemptsQuery, req.query);
    const workspaceId = principalOf(res).workspaceId;
    await endpoints.get(workspaceId, webhook_id);
    const page = await outbox.listAttempts(workspaceId, webhook_id, query.limit + 1, query.cursor ? new ObjectId(query.cursor) : undefined);
    const results = page.slice(0, query.limit);
    const more = page.length > query.limit;
    res.json({
      results: results.map((a) => ({ event_id: a.event_id, type: a.type, at: a.at.toISOString(), status: a.status, duration_ms: a.duration_ms, response: a.response, error: a.error, next_retry: a.next_retry?.toISOString() ?? null })),
      paging: { cursor: more ? results[results.length - 1]!._id!.toHexString() : null, more },
    });
  });
  return router;
}
