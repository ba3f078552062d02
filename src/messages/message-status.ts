import type { SendOutcome } from '../sender/send-result';

/**
 * A message's status and reason, in Courier's vocabulary (docs/api.md has the table), as pure
 * functions. The status only moves forward: each status has a rank, and a write may only
 * replace a status of lower rank (DELAYED may also become CANCELED, and nothing else may).
 */
export const MESSAGE_STATUSES = ['DELAYED', 'ENQUEUED', 'CANCELED', 'UNROUTABLE', 'UNDELIVERABLE', 'SENT', 'DELIVERED', 'OPENED', 'CLICKED'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export type MessageReason = 'NO_CHANNELS' | 'NO_PROVIDERS' | 'BOUNCED' | 'PROVIDER_ERROR';

const RANK: Record<MessageStatus, number> = {
  DELAYED: 0,
  ENQUEUED: 1,
  CANCELED: 2,
  UNROUTABLE: 2,
  UNDELIVERABLE: 2,
  SENT: 2,
  DELIVERED: 3,
  OPENED: 4,
  CLICKED: 5,
};

/**
 * The statuses a message may be in for `to` to replace it. A send's outcome replaces only
 * ENQUEUED (a canceled message is never sent); tracking moves SENT forward, never a failed
 * message (a device that reports an open of an UNDELIVERABLE message keeps its timestamp only).
 */
export function statusesBefore(to: MessageStatus): MessageStatus[] {
  if (to === 'CANCELED') return ['DELAYED'];
  if (to === 'ENQUEUED') return ['DELAYED'];
  if (RANK[to] === 2) return ['ENQUEUED'];
  return MESSAGE_STATUSES.filter((s) => (s === 'SENT' || RANK[s] > 2) && RANK[s] < RANK[to]);
}

/** What became of one token of the message, as the status table reads it. */
export type TokenOutcome = { outcome: SendOutcome; routed: boolean };

/**
 * The status a send leaves: SENT if any provider accepted a token; UNROUTABLE when nothing was
 * sent (NO_CHANNELS: no sendable token; NO_PROVIDERS: tokens, but no credential or adapter for
 * any); otherwise UNDELIVERABLE, BOUNCED when every token was dead, else PROVIDER_ERROR.
 */
export function sendStatus(tokens: readonly TokenOutcome[]): { status: MessageStatus; reason: MessageReason | null } {
  if (tokens.some((t) => t.outcome === 'delivered')) return { status: 'SENT', reason: null };
  const sendable = tokens.filter((t) => t.outcome !== 'skipped');
  if (sendable.length === 0) return { status: 'UNROUTABLE', reason: 'NO_CHANNELS' };
  if (sendable.every((t) => !t.routed)) return { status: 'UNROUTABLE', reason: 'NO_PROVIDERS' };
  if (sendable.every((t) => t.outcome === 'invalid')) return { status: 'UNDELIVERABLE', reason: 'BOUNCED' };
  return { status: 'UNDELIVERABLE', reason: 'PROVIDER_ERROR' };
}

/** The tracking events a device may post (courier-js `tracking.postTrackingUrl`), and what each sets. */
export const TRACKING_EVENTS = ['DELIVERED', 'OPENED', 'CLICKED', 'READ', 'UNREAD'] as const;
export type TrackingEvent = (typeof TRACKING_EVENTS)[number];
export const TRACKING_FIELD: Partial<Record<TrackingEvent, 'delivered' | 'opened' | 'clicked'>> = { DELIVERED: 'delivered', OPENED: 'opened', CLICKED: 'clicked' };
