import { caseSensitiveRouter } from './router';
import type { Router } from 'express';
import type { Notification } from '../providers/provider';
import { maskSecret } from '../logger';
import type { NotificationSender, SendReport } from '../sender/notification-sender';
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

export function sendRoutes(sender: NotificationSender): Router {
  const router = caseSensitiveRouter();
  router.post('/send', requireScope('send'), async (req, res) => {
    const { message } = parseOrThrow(sendBody, req.body ?? {});
    const recipients = Array.isArray(message.to) ? message.to : [message.to];
    const userIds = recipients.flatMap((r) => ('user_id' in r ? [r.user_id] : []));
    const tokens = recipients.flatMap((r) => ('token' in r ? [r.token] : []));
    const principal = principalOf(res);
    const report = await sender.send(principal.workspaceId, { userIds, tokens }, toNotification(message));
    const mayReadTokens = principal.kind === 'api-key' && principal.scopes.has('tokens:read');
    res.json(mayReadTokens ? report : redactForSendOnlyKey(report, new Set(userIds)));
  });
  return router;
}
