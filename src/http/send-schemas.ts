import { z } from 'zod';
import { APNS_MAX_COLLAPSE_ID_BYTES } from '../providers/apns-payload';
import { tokenValue, userId } from '../tokens/token-fields';

/** POST /send: Courier's message shape, with the push options a push service needs. */
export const MAX_RECIPIENTS = 100;
/** APNs and FCM both keep undelivered messages for at most 28 days. */
export const MAX_TTL_SECONDS = 28 * 24 * 3600;

/**
 * Keys the providers reserve in custom data: `aps` is Apple's; FCM refuses `from`,
 * `notification`, `message_type` and anything starting with `google` or `gcm`.
 */
function reservedDataKey(key: string): boolean {
  return ['aps', 'from', 'notification', 'message_type'].includes(key) || /^(google|gcm)/i.test(key);
}

const recipient = z.union(
  [z.strictObject({ user_id: userId }), z.strictObject({ token: tokenValue })],
  { error: 'must be {"user_id": "..."} or {"token": "..."}' },
);

/**
 * Courier's `message.delay`: `{duration: <ms>}` or `{until: <ISO 8601>}`. Courier's
 * opening-hours form of `until` and its `timezone` are not served: a 400 that says so.
 */
const delay = z
  .strictObject({
    duration: z.number().int().min(0).optional(),
    until: z
      .string()
      .refine((text) => z.iso.datetime({ offset: true }).safeParse(text).success, 'must be an ISO 8601 time such as 2026-12-01T09:00:00Z; the opening-hours form is not supported')
      .optional(),
    timezone: z.never({ error: 'is not supported: give until as an ISO 8601 time with its offset' }).optional(),
  })
  .refine((d) => (d.duration === undefined) !== (d.until === undefined), 'must have exactly one of duration and until');

export const sendBody = z.strictObject({
  message: z.strictObject({
    to: z.union([recipient, z.array(recipient).min(1, 'must name at least one recipient').max(MAX_RECIPIENTS, `must name at most ${MAX_RECIPIENTS} recipients`)]),
    delay: delay.optional(),
    content: z
      .strictObject({ title: z.string().max(1024).optional(), body: z.string().max(4096).optional() })
      .optional(),
    data: z
      .record(z.string().min(1).max(256), z.union([z.string(), z.number(), z.boolean()]))
      .superRefine((data, ctx) => {
        for (const key of Object.keys(data)) {
          if (reservedDataKey(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'is a key the push providers reserve' });
        }
      })
      .optional(),
    push: z
      .strictObject({
        badge: z.number().int().min(0).optional(),
        sound: z.string().max(256).optional(),
        ttl: z.number().int().min(0).max(MAX_TTL_SECONDS).optional(),
        priority: z.enum(['high', 'normal']).optional(),
        tracking: z.boolean().optional().describe('false: no trackingUrl in this push (on by default when PUBLIC_URL is set)'),
        collapse_key: z
          .string()
          .min(1)
          .refine((key) => Buffer.byteLength(key) <= APNS_MAX_COLLAPSE_ID_BYTES, `must be at most ${APNS_MAX_COLLAPSE_ID_BYTES} bytes (APNs' limit)`)
          .optional(),
      })
      .optional(),
  }),
});
export type SendBody = z.infer<typeof sendBody>;
