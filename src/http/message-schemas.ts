import { z } from 'zod';
import { MESSAGE_STATUSES, TRACKING_EVENTS } from '../messages/message-status';
import { PROVIDER_KEYS } from '../tokens/token-fields';
import { queryWholeNumber } from './token-schemas';

/** Message ids are the service's UUIDs; anything else can't name a message. */
export const messageParams = z.strictObject({ message_id: z.string().regex(/^[0-9A-Za-z-]{1,64}$/, 'is not a message id') });
export const trackingParams = z.strictObject({ tracking_id: z.string().max(200) });

/** A filter that may repeat (`status=SENT&status=DELAYED`) or be comma-separated (`status=SENT,DELAYED`, as Courier's SDK sends it). */
function repeatable<T extends string>(values: readonly [T, ...T[]]) {
  return z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const items = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
      const unknown = items.filter((item) => !(values as readonly string[]).includes(item));
      if (unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}; not ${unknown.join(', ')}` });
        return z.NEVER;
      }
      return items as T[];
    });
}

/** An ISO 8601 time with its offset, or epoch milliseconds. */
const instant = z.string().transform((text, ctx) => {
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : z.iso.datetime({ offset: true }).safeParse(text).success ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time such as 2026-11-28T10:00:00Z, or epoch milliseconds' });
    return z.NEVER;
  }
  return new Date(ms);
});

/** GET /messages: Courier's filters that this service can answer. `limit` is 1–100, 10 by default, as in Courier. */
export const listMessagesQuery = z.strictObject({
  limit: queryWholeNumber({ min: 1, max: 100, default: 10 }),
  cursor: z.string().max(200).optional(),
  recipient: z.string().min(1).max(256).optional(),
  status: repeatable(MESSAGE_STATUSES),
  provider: repeatable(PROVIDER_KEYS),
  enqueued_after: instant.optional(),
  messageId: z.string().min(1).max(64).optional(),
});

export const HISTORY_TYPES = [...MESSAGE_STATUSES, 'TOKEN_INVALIDATED', 'RECEIPT', 'READ', 'UNREAD'] as const;
export const historyQuery = z.strictObject({ type: z.enum(HISTORY_TYPES, { error: `must be one of ${HISTORY_TYPES.join(', ')}` }).optional() });

export const trackingBody = z.strictObject({ event: z.enum(TRACKING_EVENTS, { error: `must be one of ${TRACKING_EVENTS.join(', ')}` }) });
