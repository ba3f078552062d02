import { z } from 'zod';
import { audienceParams } from './audience-schemas';
import { listId, listPattern } from './list-schemas';
import { APNS_MAX_COLLAPSE_ID_BYTES } from '../providers/apns-payload';
import { overrideProblems } from '../providers/override-problems';
import { WEBPUSH_TOPIC } from '../providers/webpush-payload';
import { findUnsafeKeys, PROVIDER_KEYS, tokenValue, userId, type ProviderKey } from '../tokens/token-fields';
import { activityId, attributesType } from '../tokens/live-activity';
import { channelId } from './channel-schemas';

/** POST /send: Courier's message shape, with the push options a push service needs. */
export const MAX_RECIPIENTS = 100;
/** The longest `delay.duration` the schema takes, whatever MAX_DELAY is: a year. */
export const MAX_DELAY_CEILING_MS = 366 * 86_400_000;
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
  [z.strictObject({ user_id: userId }), z.strictObject({ token: tokenValue }), z.strictObject({ activity_id: activityId }), z.strictObject({ channel_id: channelId })],
  { error: 'must be {"user_id": "..."}, {"token": "..."} or, for a Live Activity update or end, {"activity_id": "..."} or {"channel_id": "..."}' },
);


/**
 * Courier's `message.delay`: `{duration: <ms>}` or `{until: <ISO 8601>}`. Courier's
 * opening-hours form of `until` and its `timezone` are not served: a 400 that says so.
 */
const delay = z
  .strictObject({
    // A year at most whatever MAX_DELAY says (so now + duration is always a real time); MAX_DELAY then bounds it.
    duration: z.number().int().min(0).max(MAX_DELAY_CEILING_MS, 'must be at most a year (and at most MAX_DELAY)').optional(),
    until: z
      .string()
      .refine((text) => z.iso.datetime({ offset: true }).safeParse(text).success, 'must be an ISO 8601 time such as 2026-12-01T09:00:00Z; the opening-hours form is not supported')
      .optional(),
    timezone: z.never({ error: 'is not supported: give until as an ISO 8601 time with its offset' }).optional(),
  })
  .refine((d) => (d.duration === undefined) !== (d.until === undefined), 'must have exactly one of duration and until');

/** An https URL, as every provider requires of an image. */
const httpsUrl = z
  .string()
  .max(2048)
  .refine((text) => {
    try {
      return new URL(text).protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an https URL');
const shortText = z.string().min(1).max(256);
const locArgs = z.array(z.string().max(1024)).max(32);

/**
 * JSON a send only passes on (data, overrides): checked in the raw input, before zod copies it
 * (a copy by assignment would turn an own "__proto__" key into a prototype): no prototype keys
 * (firebase-admin would pollute Object.prototype with one), at most MAX_PROPERTIES_DEPTH deep
 * (so no merge or serialisation can overflow the stack), as token properties are.
 */
const passedOnJson = z.unknown().superRefine((value, ctx) => {
  for (const problem of findUnsafeKeys(value, '', { sent: true })) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path.split('.').filter(Boolean) });
});

/** Courier's per-provider entry: `override` is merged into that provider's request; `if`, `metadata` and `timeouts` are accepted and ignored. */
const providerEntry = z.strictObject({ override: passedOnJson.pipe(z.record(z.string(), z.unknown())).optional(), if: z.unknown().optional(), metadata: z.unknown().optional(), timeouts: z.unknown().optional() });

/** An ISO 8601 time, as a Date. */
const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time such as 2026-12-01T09:00:00Z' }).transform((text) => new Date(text));

/**
 * `message.live_activity` (docs/providers.md, "Live Activities"): a start goes to the
 * recipients' push-to-start tokens of `attributes_type`; an update or end to an activity's
 * update tokens (`to: {activity_id}`, or a user's narrowed by `activity_id`).
 */
const liveActivity = z
  .strictObject({
    event: z.enum(['start', 'update', 'end'], { error: 'must be start, update or end' }),
    attributes_type: attributesType.optional(),
    attributes: passedOnJson.pipe(z.record(z.string(), z.unknown())).optional(),
    content_state: passedOnJson.pipe(z.record(z.string(), z.unknown())),
    activity_id: activityId.optional(),
    /** start: the iOS 18 broadcast channel the started activity subscribes to (instead of reporting an update token). */
    input_push_channel: channelId.optional(),
    timestamp: isoTime.optional(),
    stale_date: isoTime.optional(),
    dismissal_date: isoTime.optional(),
    relevance_score: z.number().min(0).max(100).optional(),
    alert: z.strictObject({ title: z.string().max(1024).optional(), body: z.string().max(4096).optional(), sound: z.string().max(256).optional() }).optional(),
  })
  .superRefine((la, ctx) => {
    if (la.event === 'start' && la.attributes_type === undefined) ctx.addIssue({ code: 'custom', path: ['attributes_type'], message: 'is required to start an activity: it picks the push-to-start tokens of that type' });
    if (la.event === 'start' && la.attributes === undefined) ctx.addIssue({ code: 'custom', path: ['attributes'], message: 'is required to start an activity (its static ActivityAttributes)' });
    if (la.event === 'start' && la.activity_id !== undefined) ctx.addIssue({ code: 'custom', path: ['activity_id'], message: 'is for update and end: a started activity gets its id on the device' });
    if (la.event !== 'start' && la.input_push_channel !== undefined) ctx.addIssue({ code: 'custom', path: ['input_push_channel'], message: 'is for a start: it subscribes the started activity to a channel' });
  });

/** Courier's list, list-pattern and audience recipients: a broadcast (src/broadcast), the send's only recipient. */
const broadcastTo = z.union([z.strictObject({ list_id: listId }), z.strictObject({ list_pattern: listPattern }), z.strictObject({ audience_id: audienceParams.shape.audience_id })]);
export type BroadcastTo = z.infer<typeof broadcastTo>;
const usersTo = z.union([recipient, z.array(recipient).min(1, 'must name at least one recipient').max(MAX_RECIPIENTS, `must name at most ${MAX_RECIPIENTS} recipients`)]);
const BROADCAST_KEYS = ['list_id', 'list_pattern', 'audience_id'];
const isBroadcastShape = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value) && BROADCAST_KEYS.some((key) => Object.hasOwn(value, key));

/** `to`: users and tokens, or one list, pattern or audience; each shape's problems are named by its own rules. */
const to = z.unknown().transform((value, ctx): BroadcastTo | z.infer<typeof usersTo> => {
  if (Array.isArray(value) && value.some(isBroadcastShape)) {
    ctx.addIssue({ code: 'custom', message: 'a list_id, list_pattern or audience_id must be the only recipient of a send' });
    return z.NEVER;
  }
  const parsed = (isBroadcastShape(value) ? broadcastTo : usersTo).safeParse(value);
  if (parsed.success) return parsed.data;
  // The shape's own issues, paths and all (issuesToProblems words them as every 400 is worded).
  for (const issue of parsed.error.issues) ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

export function isBroadcast(to: BroadcastTo | z.infer<typeof usersTo>): to is BroadcastTo {
  return isBroadcastShape(to);
}

export const sendBody = z.strictObject({
  message: z
    .strictObject({
      to,
      delay: delay.optional(),
      content: z
        .strictObject({ title: z.string().max(1024).optional(), body: z.string().max(4096).optional() })
        .optional(),
      // Any JSON, as in Courier (the body was JSON, so every value is); the size limits apply to it as each provider sends it.
      data: passedOnJson
        .pipe(z.record(z.string().min(1).max(256), z.unknown().describe('Any JSON value')))
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
          expiration: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time such as 2026-12-01T09:00:00Z' }).optional(),
          priority: z.enum(['high', 'normal']).optional(),
          tracking: z.boolean().optional().describe('false: no trackingUrl in this push (on by default when PUBLIC_URL is set)'),
          collapse_key: z
            .string()
            .min(1)
            .refine((key) => Buffer.byteLength(key) <= APNS_MAX_COLLAPSE_ID_BYTES, `must be at most ${APNS_MAX_COLLAPSE_ID_BYTES} bytes (APNs' limit)`)
            // Checked for every send: which providers the recipients' tokens use is known only once they are loaded.
            .refine((key) => WEBPUSH_TOPIC.test(key), "must be at most 32 characters of A-Z a-z 0-9 - _ (Web Push's Topic header, RFC 8030)")
            .optional(),
          content_available: z.boolean().optional().describe('A silent (background) push: with no content, nothing is shown anywhere'),
          mutable_content: z.boolean().optional(),
          subtitle: z.string().max(1024).optional(),
          image: httpsUrl.optional(),
          category: shortText.optional(),
          thread_id: shortText.optional(),
          interruption_level: z.enum(['passive', 'active', 'time-sensitive', 'critical']).optional(),
          relevance_score: z.number().min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1').optional(),
          android: z
            .strictObject({
              channel_id: shortText.optional(),
              icon: shortText.optional(),
              color: z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'must be a colour written #RRGGBB').optional(),
              tag: shortText.optional(),
              click_action: shortText.optional(),
            })
            .optional(),
          localization: z
            .strictObject({ title_loc_key: shortText.optional(), title_loc_args: locArgs.optional(), loc_key: shortText.optional(), loc_args: locArgs.optional() })
            .superRefine((l, ctx) => {
              if (l.title_loc_args && l.title_loc_key === undefined) ctx.addIssue({ code: 'custom', path: ['title_loc_args'], message: 'needs title_loc_key' });
              if (l.loc_args && l.loc_key === undefined) ctx.addIssue({ code: 'custom', path: ['loc_args'], message: 'needs loc_key' });
            })
            .optional(),
        })
        .superRefine((push, ctx) => {
          if (push.ttl !== undefined && push.expiration !== undefined) ctx.addIssue({ code: 'custom', path: ['expiration'], message: 'can not be set with ttl: give one of them' });
        })
        .optional(),
      providers: z.record(z.string(), providerEntry).optional(),
      live_activity: liveActivity.optional(),
    })
    .superRefine((message, ctx) => {
      liveActivityTargetProblems(message, ctx);
      for (const [key, entry] of Object.entries(message.providers ?? {})) {
        if (!(PROVIDER_KEYS as readonly string[]).includes(key)) {
          ctx.addIssue({ code: 'custom', path: ['providers', key], message: `is not a push provider of this service (${PROVIDER_KEYS.join(', ')})` });
          continue;
        }
        if (entry.override === undefined) continue;
        for (const problem of overrideProblems(key as ProviderKey, entry.override, `message.providers.${key}.override`)) {
          ctx.addIssue({ code: 'custom', path: problem.path.split('.').slice(1), message: problem.message });
        }
      }
    }),
});
export type SendBody = z.infer<typeof sendBody>;

/** A channel (iOS 18) takes an update or an end, alone; a start subscribes to one through input_push_channel. */
function channelTargetProblems(recipients: number, la: { event: string; activity_id?: string } | undefined, ctx: z.RefinementCtx): void {
  if (recipients > 1) ctx.addIssue({ code: 'custom', path: ['to'], message: 'a channel_id must be the only recipient of a send' });
  if (la === undefined) ctx.addIssue({ code: 'custom', path: ['to'], message: 'a channel_id recipient takes a Live Activity update or end (message.live_activity)' });
  else if (la.event === 'start') ctx.addIssue({ code: 'custom', path: ['live_activity', 'event'], message: 'a channel takes update and end; start an activity on a channel with input_push_channel' });
  if (la?.activity_id !== undefined) ctx.addIssue({ code: 'custom', path: ['live_activity', 'activity_id'], message: 'goes with users, not with a channel (a channel is its own activity)' });
}

/** Whom a Live Activity event may go to, and that `activity_id` goes with one. */
function liveActivityTargetProblems(message: { to: unknown; live_activity?: { event: string; activity_id?: string } | undefined }, ctx: z.RefinementCtx): void {
  const targets = (Array.isArray(message.to) ? message.to : [message.to]) as Record<string, unknown>[];
  const toActivity = targets.some((t) => t !== null && typeof t === 'object' && 'activity_id' in t);
  const toChannel = targets.some((t) => t !== null && typeof t === 'object' && 'channel_id' in t);
  const event = message.live_activity?.event;
  if (toChannel) return channelTargetProblems(targets.length, message.live_activity, ctx);
  if (toActivity && (event === undefined || event === 'start')) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'an activity_id recipient takes a Live Activity update or end (message.live_activity)' });
  }
  if (event !== undefined && targets.some((t) => t !== null && typeof t === 'object' && 'token' in t)) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'a Live Activity event goes to users or to an activity, not to named tokens' });
  }
  if (toActivity && targets.length > 1) ctx.addIssue({ code: 'custom', path: ['to'], message: 'an activity_id must be the only recipient of a send' });
  if ((event === 'update' || event === 'end') && !toActivity && message.live_activity?.activity_id === undefined) {
    ctx.addIssue({ code: 'custom', path: ['live_activity', 'activity_id'], message: 'is required to update or end an activity for users (or send to {"activity_id"})' });
  }
  if (event !== undefined && targets.some((t) => t !== null && typeof t === 'object' && ('list_id' in t || 'list_pattern' in t || 'audience_id' in t))) {
    ctx.addIssue({ code: 'custom', path: ['live_activity'], message: 'goes to users or to an activity, not to a list or an audience' });
  }
}
