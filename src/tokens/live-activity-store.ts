import type { Collection, Db } from 'mongodb';
import { ConflictError } from '../errors';
import { isDuplicateKey } from '../db/insert-once';
import type { TokenModel } from './token-model';
import { sendable } from './token-queries';

/**
 * What the service knows of each Live Activity it has updated (collection `live_activities`,
 * docs/storage.md): the timestamp of the last event sent to it, so an older one is refused
 * (iOS would drop it anyway), and, once ended, when its update tokens are retired.
 */
type ActivityDocument = { _id: string; workspace_id: string; activity_id: string; last_timestamp: Date; ended_at?: Date; expires_at: Date };

export const LIVE_ACTIVITIES = 'live_activities';
/** How long the service remembers an activity after its last event: longer than any activity lives. */
const REMEMBER_MS = 24 * 3_600_000;
/** Apple's default: an ended activity stays on the lock screen up to 4 hours unless a dismissal date says otherwise. */
export const DEFAULT_DISMISSAL_MS = 4 * 3_600_000;
/** An ended activity's tokens stay long enough for the end itself to go out. */
const END_GRACE_MS = 60_000;

export async function ensureLiveActivityIndexes(db: Db): Promise<void> {
  await db.collection(LIVE_ACTIVITIES).createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
}

export class LiveActivityStore {
  private readonly activities: Collection<ActivityDocument>;

  constructor(
    db: Db,
    private readonly tokens: TokenModel,
  ) {
    this.activities = db.collection<ActivityDocument>(LIVE_ACTIVITIES);
  }

  /**
   * Records an update or end at `timestamp`, or refuses it (409) when the activity already had
   * an event at or after it. One conditional upsert: two racing updates settle on the newer.
   */
  async advance(workspaceId: string, activityId: string, timestamp: Date, now: Date): Promise<void> {
    const _id = `${workspaceId}:${activityId}`;
    try {
      await this.activities.updateOne(
        { _id, last_timestamp: { $lt: timestamp } },
        { $set: { last_timestamp: timestamp, expires_at: new Date(now.getTime() + REMEMBER_MS) }, $setOnInsert: { workspace_id: workspaceId, activity_id: activityId } },
        { upsert: true },
      );
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      throw new ConflictError(`Activity ${activityId} already had an event at or after ${timestamp.toISOString()}: iOS shows only the newest, so this one would be dropped (send a later timestamp)`);
    }
  }

  /** An end: the activity's update tokens expire at its dismissal date (Apple's 4 hours by default), and never before the end has gone out. */
  async retire(workspaceId: string, activityId: string, dismissal: Date | undefined, now: Date): Promise<void> {
    const until = new Date(Math.max((dismissal ?? new Date(now.getTime() + DEFAULT_DISMISSAL_MS)).getTime(), now.getTime() + END_GRACE_MS));
    await this.activities.updateOne({ _id: `${workspaceId}:${activityId}` }, { $set: { ended_at: now } });
    await this.tokens.collection.updateMany({ workspace_id: workspaceId, 'live_activity.activity_id': activityId, $or: [{ expiry_date: { $exists: false } }, { expiry_date: { $gt: until } }] }, { $set: { expiry_date: until } });
  }
}

/**
 * The tokens a Live Activity event goes to, as a query: a start, the users' push-to-start
 * tokens of its attributes type; an update or end, the activity's update tokens (of these users
 * only, when it names users).
 */
export function liveActivityTarget(event: 'start' | 'update' | 'end', target: { attributesType?: string; activityId?: string; userIds: readonly string[] }, now: Date): Record<string, unknown> {
  const users = target.userIds.length > 0 ? { user_id: { $in: [...target.userIds] } } : {};
  const kind: Record<string, string> =
    event === 'start' ? { 'live_activity.kind': 'push_to_start', 'live_activity.attributes_type': target.attributesType! } : { 'live_activity.kind': 'update', 'live_activity.activity_id': target.activityId! };
  return { ...users, ...kind, ...sendable(now) };
}
