import { z } from 'zod';

/**
 * A Live Activity token (iOS ActivityKit), as a token's `live_activity` field (docs/providers.md,
 * "Live Activities"): a **push-to-start** token, per device and per attributes type (iOS 17.2+,
 * from `Activity<T>.pushToStartTokenUpdates`), or an **update** token, per activity (from
 * `activity.pushTokenUpdates`). Only APNs tokens carry one; a token without it is a device's
 * ordinary token, and the two kinds never receive each other's pushes.
 */
export const LIVE_ACTIVITY_KINDS = ['push_to_start', 'update'] as const;
export type LiveActivityKind = (typeof LIVE_ACTIVITY_KINDS)[number];

/** A Swift type name, as ActivityKit's `attributes-type` carries it (`DeliveryAttributes`, `Match.Attributes`). */
export const attributesType = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]{0,127}$/, 'must be the ActivityAttributes type name as Swift spells it (1-128 of A-Z a-z 0-9 _ ., not starting with a digit)');
/** An activity's id (ActivityKit's `activity.id` is a UUID; any 1-128 of A-Z a-z 0-9 . _ : - is taken). */
export const activityId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ : - (ActivityKit\'s activity.id)');

export const liveActivityField = z.discriminatedUnion(
  'kind',
  [z.strictObject({ kind: z.literal('push_to_start'), attributes_type: attributesType }), z.strictObject({ kind: z.literal('update'), activity_id: activityId, attributes_type: attributesType.optional() })],
  { error: `must be {"kind": "push_to_start", "attributes_type"} or {"kind": "update", "activity_id", "attributes_type"?}` },
);
export type LiveActivityToken = z.infer<typeof liveActivityField>;

/**
 * How long an update token lives when its registration names no expiry: an activity runs at
 * most 8 hours, and stays on the lock screen 4 more once stale (Apple), so 12 hours.
 */
export const UPDATE_TOKEN_TTL_MS = 12 * 3_600_000;

/** `kind` as a query filter on a user's tokens: `device` for ordinary tokens. */
export const TOKEN_KINDS = ['device', ...LIVE_ACTIVITY_KINDS] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** The tokens of a kind, as a query. */
export function kindQuery(kind: TokenKind): Record<string, unknown> {
  return kind === 'device' ? { live_activity: { $exists: false } } : { 'live_activity.kind': kind };
}

/**
 * Which older tokens of the same device a new registration replaces (token refresh): an
 * ordinary token replaces ordinary ones; a push-to-start token those of its attributes type;
 * an update token those of its activity. Never one kind another.
 */
export function sameKindQuery(liveActivity: LiveActivityToken | null | undefined): Record<string, unknown> {
  if (!liveActivity) return kindQuery('device');
  return liveActivity.kind === 'push_to_start'
    ? { 'live_activity.kind': 'push_to_start', 'live_activity.attributes_type': liveActivity.attributes_type }
    : { 'live_activity.kind': 'update', 'live_activity.activity_id': liveActivity.activity_id };
}
