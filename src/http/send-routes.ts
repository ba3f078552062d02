import { caseSensitiveRouter } from './router';
import type { Request, Router } from 'express';
import { ConflictError, UnprocessableError, ValidationError } from '../errors';
import { bodyHash, IDEMPOTENCY_KEY, type IdempotencyStore, type KeptAnswer } from '../messages/idempotency';
import type { MessageService } from '../messages/message-service';
import type { Notification } from '../providers/provider';
import { maskSecret } from '../logger';
import type { SendReport } from '../sender/notification-sender';
import { parseOrThrow } from '../validation';
import { principalOf, requireScope } from './auth';
import { sendBody, type SendBody } from './send-schemas';

/** Courier-shaped message → the sender's Notification (data values become strings, as FCM requires). */
export function toNotification(message: SendBody['message']): Notification {
  const notification: Notification = {};
  if (message.content?.title !== undefined) notification.title = message.content.title;
  if (message.content?.body !== undefined) notification.body = message.content.body;
  if (message.data) notification.data = Object.fromEntries(Object.entries(message.data).map(([k, v]) => [k, String(v)]));
  const push = message.push ?? {};
  if (push.badge !== undefined) notification.badge = push.badge;
  if (push.sound !== undefined) notification.sound = push.sound;
  if (push.ttl !== undefined) notification.ttlSeconds = push.ttl;
  if (push.priority !== undefined) notification.priority = push.priority;
  if (push.collapse_key !== undefined) notification.collapseKey = push.collapse_key;
  return notification;
}

/**
 * What a key without `tokens:read` may learn from a send: only what it already knew. Tokens
 * are shortened as the logs shorten them, and a token's user is shown only if the caller
 * named that user; otherwise `send` alone would read every user's tokens.
 */
export function redactForSendOnlyKey(report: SendReport, namedUsers: ReadonlySet<string>): SendReport {
  return {
    ...report,
    results: report.results.map((result) => ({
      ...result,
      token: maskSecret(result.token),
      user_id: result.user_id !== null && namedUsers.has(result.user_id) ? result.user_id : null,
    })),
  };
}

export type SendRouteOptions = { maxDelayMs: number; now?: () => Date };

/**
 * POST /send: one message per recipient in the message log (src/messages). An immediate send
 * answers 200 with one result per token (an extension to Courier, which answers 202); a
 * delayed one answers 202 {requestId}. With an Idempotency-Key, a repeat gets the first answer
 * (messages/idempotency.ts); validation comes first, so a 400 is never kept.
 */
export function sendRoutes(messages: MessageService, idempotency: IdempotencyStore, options: SendRouteOptions): Router {
  const router = caseSensitiveRouter();
  const now = options.now ?? (() => new Date());
  router.post('/send', requireScope('send'), async (req, res) => {
    const { message } = parseOrThrow(sendBody, req.body ?? {});
    const recipients = Array.isArray(message.to) ? message.to : [message.to];
    const deliverAt = deliveryTime(message.delay, now(), options.maxDelayMs);
    const key = idempotencyKeyOf(req);
    const principal = principalOf(res);
    const userIds = new Set(recipients.flatMap((r) => ('user_id' in r ? [r.user_id] : [])));
    const render = (answer: KeptAnswer) => {
      if (answer.status !== 200) return answer.body;
      const mayReadTokens = principal.kind === 'api-key' && principal.scopes.has('tokens:read');
      return mayReadTokens ? answer.body : redactForSendOnlyKey(answer.body as SendReport, userIds);
    };

    if (key !== undefined) {
      const begun = await idempotency.begin(principal.workspaceId, key, bodyHash(req.body), now());
      if (begun.kind === 'mismatch') throw new UnprocessableError('Idempotency-Key was used with another request body');
      if (begun.kind === 'running') throw new ConflictError('A request with this Idempotency-Key is still running');
      if (begun.kind === 'replay') {
        res.set('Idempotent-Replayed', 'true');
        res.status(begun.answer.status).json(render(begun.answer));
        return;
      }
    }
    let answer: KeptAnswer;
    try {
      const sent = await messages.send(principal.workspaceId, {
        recipients,
        notification: toNotification(message),
        tracking: message.push?.tracking !== false,
        ...(deliverAt ? { deliverAt } : {}),
      });
      answer = sent.status === 202 ? { status: 202, body: { requestId: sent.requestId } } : { status: 200, body: { requestId: sent.report.requestId, results: sent.report.results, summary: sent.report.summary } };
    } catch (error) {
      if (key !== undefined) await idempotency.release(principal.workspaceId, key).catch(() => undefined);
      throw error;
    }
    if (key !== undefined) await idempotency.complete(principal.workspaceId, key, answer);
    res.status(answer.status).json(render(answer));
  });
  return router;
}

/** The Idempotency-Key header: 1–255 printable characters, sent once. */
function idempotencyKeyOf(req: Request): string | undefined {
  const values = req.headersDistinct['idempotency-key'];
  if (!values) return undefined;
  if (values.length > 1 || !IDEMPOTENCY_KEY.test(values[0]!)) throw new ValidationError([{ path: 'Idempotency-Key', message: 'must be sent once, as 1 to 255 printable ASCII characters' }]);
  return values[0];
}

/** When a delayed send is due, at most maxDelayMs ahead (MAX_DELAY); undefined for an immediate one. */
function deliveryTime(delay: SendBody['message']['delay'], now: Date, maxDelayMs: number): Date | undefined {
  if (!delay) return undefined;
  const at = delay.duration !== undefined ? new Date(now.getTime() + delay.duration) : new Date(Date.parse(delay.until!));
  const path = delay.duration !== undefined ? 'message.delay.duration' : 'message.delay.until';
  if (at.getTime() - now.getTime() > maxDelayMs) throw new ValidationError([{ path, message: `must be at most ${Math.round(maxDelayMs / 3_600_000)} hours ahead (MAX_DELAY)` }]);
  return at;
}
