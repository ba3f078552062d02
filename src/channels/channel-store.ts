import type { Collection, Db } from 'mongodb';
import { ConflictError, NotFoundError } from '../errors';
import type { ChannelStorage } from '../providers/apns-channels';
import type { ApnsEnvironment } from '../providers/provider-module';

/**
 * The `live_activity_channels` collection (docs/storage.md): the iOS 18 broadcast channels a
 * workspace created through Apple, one document each. Apple keeps the channel; this is how a
 * send to `{channel_id}` finds the app, credential, bundle id and environment it belongs to,
 * and how a workspace lists its channels a page at a time.
 */
export type ChannelDocument = {
  _id: string;
  workspace_id: string;
  /** Apple's id for it (base64), as the app passes it to ActivityKit's `.channel(_:)`. */
  channel_id: string;
  app_id: string;
  /** The app's bundle id: Apple's path names it. */
  bundle_id: string;
  environment: ApnsEnvironment;
  credential_id: string;
  storage: ChannelStorage;
  created_at: Date;
};

export const CHANNELS_COLLECTION = 'live_activity_channels';

export async function ensureChannelIndexes(db: Db): Promise<void> {
  await db.collection(CHANNELS_COLLECTION).createIndex({ workspace_id: 1, channel_id: 1 }, { name: 'workspace_channel', unique: true });
}

/** The document's _id: one channel id per workspace. */
const idOf = (workspaceId: string, channelId: string) => `${workspaceId}:${channelId}`;

export class ChannelStore {
  private readonly collection: Collection<ChannelDocument>;

  constructor(
    db: Db,
    /** MAX_LIVE_ACTIVITY_CHANNELS: channels one workspace may keep. */
    private readonly maxChannels: number,
  ) {
    this.collection = db.collection<ChannelDocument>(CHANNELS_COLLECTION);
  }

  /** Past MAX_LIVE_ACTIVITY_CHANNELS, a 409 before Apple is asked for another. */
  async refuseOverBound(workspaceId: string): Promise<void> {
    const count = await this.collection.countDocuments({ workspace_id: workspaceId }, { limit: this.maxChannels });
    if (count >= this.maxChannels) throw new ConflictError(`This workspace has ${this.maxChannels} Live Activity channels, the most it may have (MAX_LIVE_ACTIVITY_CHANNELS); delete one first`);
  }

  async insert(channel: Omit<ChannelDocument, '_id'>): Promise<ChannelDocument> {
    const doc = { _id: idOf(channel.workspace_id, channel.channel_id), ...channel };
    await this.collection.insertOne(doc);
    return doc;
  }

  async get(workspaceId: string, channelId: string): Promise<ChannelDocument> {
    const doc = await this.collection.findOne({ _id: idOf(workspaceId, channelId) });
    if (!doc) throw new NotFoundError(`No Live Activity channel ${channelId} in this workspace`);
    return doc;
  }

  async remove(workspaceId: string, channelId: string): Promise<void> {
    await this.collection.deleteOne({ _id: idOf(workspaceId, channelId) });
  }

  /** One page in channel id order, after `after` (read `limit` + 1 to know if more follow). */
  list(workspaceId: string, page: { limit: number; after?: string | undefined }): Promise<ChannelDocument[]> {
    const range = page.after !== undefined ? { $gt: idOf(workspaceId, page.after) } : { $gte: idOf(workspaceId, '') };
    return this.collection
      .find({ _id: { ...range, $lt: `${workspaceId};` } })
      .sort({ _id: 1 })
      .limit(page.limit)
      .toArray();
  }
}
