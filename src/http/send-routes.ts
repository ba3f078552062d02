import { caseSensitiveRouter } from './router';
import type { Router } from 'express';
import type { Notification } from '../providers/provider';
import type { NotificationSender } from '../sender/notification-sender';
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

export function sendRoutes(sender: NotificationSender): Router {
  const router = caseSensitiveRouter();
  router.post('/send', requireScope('send'), async (req, res) => {
    const { message } = parseOrThrow(sendBody, req.body ?? {});
    const recipients = Array.isArray(message.to) ? message.to : [message.to];
    const userIds = recipients.flatMap((r) => ('user_id' in r ? [r.user_id] : []));
    const tokens = recipients.flatMap((r) => ('token' in r ? [r.token] : []));
    res.json(await sender.send(principalOf(res).workspaceId, { userIds, tokens }, toNotification(message)));
  });
  return router;
}
