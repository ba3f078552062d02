import { createHash, randomBytes } from 'node:crypto';

/**
 * The webhook events (docs/webhooks.md) and their payloads, `{type, timestamp, data}`, as pure
 * functions. An event's id is the `webhook-id` of every delivery of it: stable across retries,
 * so a receiver can dedupe.
 */
export const WEBHOOK_EVENTS = ['token.invalidated', 'message.updated', 'delivery.held', 'webhook.test'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
/**
 * What an endpoint's events reveal, as the scope a key needs to point or key an endpoint that
 * receives them: token.invalidated carries whole tokens, message.updated carries recipients.
 */
export const EVENT_SCOPES: Partial<Record<WebhookEventType, 'tokens:read' | 'messages:read'>> = {
  'token.invalidated': 'tokens:read',
  'message.updated': 'messages:read',
};

export type WebhookEvent = { id: string; type: WebhookEventType; timestamp: Date; data: Record<string, unknown> };

export function newEventId(): string {
  return `msg_${randomBytes(12).toString('hex')}`;
}

/**
 * An event id derived from what the event is about (a send result and a token; a message and
 * its status), so that writing the same event again writes the same outbox row: an effect
 * applied twice adds nothing while its row waits, and a receiver dedupes it by `webhook-id`.
 */
export function derivedEventId(...parts: string[]): string {
  return `msg_${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`;
}

export function eventPayload(event: WebhookEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.timestamp.toISOString(), data: event.data });
}

export type InvalidatedToken = { user_id: string; token: string; provider_key: string; app_id: string | null; reason: string | null; message_id: string | null };
export const tokenInvalidated = (token: InvalidatedToken, at: Date): WebhookEvent => ({ id: newEventId(), type: 'token.invalidated', timestamp: at, data: { ...token } });
/** A message's change of status: one event per message and status (a status is reached once: it only moves forward). */
export const messageUpdated = (message: Record<string, unknown> & { id: string; status: string }, at: Date): WebhookEvent => ({ id: derivedEventId('message.updated', message.id, message.status), type: 'message.updated', timestamp: at, data: { message } });
export const webhookTest = (at: Date): WebhookEvent => ({ id: newEventId(), type: 'webhook.test', timestamp: at, data: { message: 'A test event from push-token-registry' } });

export type HeldDelivery = { provider_key: string; app_id: string | null; credential_id: string | null; reason: string; count: number };
export const deliveryHeld = (held: HeldDelivery, at: Date): WebhookEvent => ({ id: newEventId(), type: 'delivery.held', timestamp: at, data: { ...held } });
