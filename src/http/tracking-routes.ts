import type { NextFunction, Request, Response, Router } from 'express';
import { NotFoundError } from '../errors';
import type { MessageStore } from '../messages/message-store';
import { parseOrThrow } from '../validation';
import { jsonBody } from './json-body';
import { trackingBody, trackingParams } from './message-schemas';
import { rateLimitPerAddress } from './rate-limit';
import { recordRouteParams } from './request-context';
import { caseSensitiveRouter } from './router';

/**
 * POST /t/:tracking_id: Courier's trackingUrl, which courier-js `tracking.postTrackingUrl`
 * posts `{event}` to from the device. No key: the URL is the credential (tracking.ts), and
 * CORS allows it from any origin. 204 whether it recorded the event or it was a repeat; 404 for
 * an unknown or altered URL. The id is masked in the request log like a token.
 */
export function trackingRoutes(store: MessageStore, now: () => Date = () => new Date(), perMinute = 0): Router {
  const router = caseSensitiveRouter();
  recordRouteParams(router, ['tracking_id']);
  const anyOrigin = (req: Request, res: Response, next: NextFunction) => {
    res.set('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      res.set('Access-Control-Allow-Methods', 'POST');
      res.set('Access-Control-Allow-Headers', 'content-type, x-courier-ua');
      res.set('Access-Control-Max-Age', '7200');
      res.status(204).end();
      return;
    }
    next();
  };
  // As middleware, not a route: the preflight is CORS's, not an endpoint of its own.
  router.use('/t', anyOrigin);
  const limited = perMinute > 0 ? [rateLimitPerAddress(perMinute)] : [];
  router.post('/t/:tracking_id', ...limited, jsonBody(), async (req, res) => {
    const { tracking_id } = parseOrThrow(trackingParams, req.params);
    const { event } = parseOrThrow(trackingBody, req.body ?? {});
    const outcome = await store.track(tracking_id, event, now());
    if (outcome === 'not_found') throw new NotFoundError('No such tracking URL');
    res.status(204).end();
  });
  return router;
}
