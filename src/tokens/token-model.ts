import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { LIVE_ACTIVITY_KINDS, type LiveActivityToken } from './live-activity';
import { PROVIDER_KEYS, TOKEN_STATUSES, type Device, type ProviderKey, type TokenStatus, type Tracking, type WebPushKeys } from './token-fields';

/**
 * The `tokens` collection. Admin scripts query it directly, so this shape is a public
 * interface: docs/storage.md documents every field and index. Change both together.
 */
export const TOKENS_COLLECTION = 'tokens';

export interface TokenDocument {
  _id: Types.ObjectId;
  workspace_id: string;
  user_id: string;
  token: string;
  provider_key: ProviderKey;
  status: TokenStatus;
  status_reason: string | null;
  properties: Record<string, unknown>;
  device?: Device;
  tracking?: Tracking;
  /** Absent when the token never expires; a BSON Date under the TTL index otherwise. */
  expiry_date?: Date;
  created_at: Date;
  /** Set by every API write (PUT, PATCH) and by invalidation; never by a delivery. */
  updated_at: Date;
  last_used_at: Date | null;
  /** Incremented by every write; a PATCH only lands if nobody wrote in between. */
  revision: number;
  /**
   * `sandbox` once an APNs token of an app in environment `auto` was delivered only by the
   * sandbox (a development build): later sends go straight there. Absent otherwise. Learned by
   * delivery, so a PUT keeps it: it belongs to the token, not to its registration.
   */
  apns_environment?: 'sandbox';
  /** Web Push only: the subscription's keys (p256dh, auth), which every payload is encrypted with. Secret, like the token. */
  keys?: WebPushKeys;
  /** APNs only: a Live Activity's push-to-start or update token (tokens/live-activity.ts); absent on a device's ordinary token. */
  live_activity?: LiveActivityToken;
}

const stringFields = (names: string[]) => Object.fromEntries(names.map((name) => [name, { type: String }]));

const tokenSchema = new Schema<TokenDocument>(
  {
    workspace_id: { type: String, required: true },
    user_id: { type: String, required: true },
    token: { type: String, required: true },
    provider_key: { type: String, required: true, enum: PROVIDER_KEYS },
    status: { type: String, required: true, enum: TOKEN_STATUSES },
    status_reason: { type: String, default: null },
    properties: { type: Schema.Types.Mixed, default: {} },
    device: new Schema(stringFields(['app_id', 'ad_id', 'device_id', 'platform', 'manufacturer', 'model', 'name', 'app_version']), { _id: false }),
    tracking: new Schema(stringFields(['os_version', 'ip', 'lat', 'long']), { _id: false }),
    expiry_date: { type: Date },
    created_at: { type: Date, required: true },
    updated_at: { type: Date, required: true },
    last_used_at: { type: Date, default: null },
    revision: { type: Number, required: true, default: 0 },
    apns_environment: { type: String, enum: ['sandbox'] },
    keys: new Schema({ p256dh: { type: String, required: true }, auth: { type: String, required: true } }, { _id: false }),
    live_activity: new Schema({ kind: { type: String, required: true, enum: LIVE_ACTIVITY_KINDS }, attributes_type: { type: String }, activity_id: { type: String } }, { _id: false }),
  },
  {
    collection: TOKENS_COLLECTION,
    versionKey: false,
    minimize: false,
    // Indexes are created by ensureTokenIndexes at start-up, not lazily by mongoose.
    autoIndex: false,
    strict: 'throw',
  },
);

// Each index serves a query the service makes; docs/storage.md says which.
// A token is unique within a workspace: upserts, transfers and every single-token lookup.
tokenSchema.index({ workspace_id: 1, token: 1 }, { unique: true, name: 'workspace_token_unique' });
// A user's tokens, in creation order: listing with cursor paging, sending to a user, device refresh.
tokenSchema.index({ workspace_id: 1, user_id: 1, _id: 1 }, { name: 'workspace_user' });
// A Live Activity's update tokens, across users: an update or end to `to: {activity_id}` (only tokens that have one are indexed).
tokenSchema.index({ workspace_id: 1, 'live_activity.activity_id': 1 }, { name: 'workspace_activity', partialFilterExpression: { 'live_activity.activity_id': { $exists: true } } });
// Audiences and broadcasts walk a workspace's tokens in _id order, a range at a time (audiences/, broadcast/).
tokenSchema.index({ workspace_id: 1, _id: 1 }, { name: 'workspace_order' });
// MongoDB's TTL monitor deletes a token once its expiry_date has passed (documents without it never expire).
tokenSchema.index({ expiry_date: 1 }, { expireAfterSeconds: 0, name: 'expiry_ttl' });
// Operations: purging old failed/revoked tokens and counting by status.
tokenSchema.index({ status: 1, updated_at: 1 }, { name: 'status_updated' });

export type TokenModel = Model<TokenDocument>;

export function tokenModel(connection: Connection): TokenModel {
  return (connection.models.Token as TokenModel | undefined) ?? connection.model<TokenDocument>('Token', tokenSchema);
}

export async function ensureTokenIndexes(model: TokenModel): Promise<void> {
  await model.createIndexes();
}
