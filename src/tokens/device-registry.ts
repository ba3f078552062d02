import { newLife } from './token-transfer';
import { Types } from 'mongoose';
import { addDuration, type Duration } from '../duration';
import type { DeviceView } from './device-view';
import { toDeviceView } from './device-view';
import type { TokenDocument, TokenModel } from './token-model';
import { notExpired } from './token-queries';
import { retireReplacedTokens } from './token-refresh';
import { sameKindQuery, UPDATE_TOKEN_TTL_MS, type LiveActivityToken } from './live-activity';
import type { RegistryEvent } from './token-registry';
import { ConflictError, ValidationError } from '../errors';
import { tokenFormatProblem } from './token-formats';
import { keysProblem, type WebPushKeys } from './token-fields';
import type { EndpointPolicy } from './webpush-endpoint';
import { isDuplicateKey, MAX_WRITE_ATTEMPTS } from './upsert-retry';
import { storedBytes, type UserTokenBudget } from './user-budget';


/** The `device` sub-document a registration describes, with only the fields it gives. */
function deviceFields(input: DeviceRegistration): Record<string, string> {
  const device: Record<string, string> = { platform: input.platform };
  if (input.device_name !== undefined) device.name = input.device_name;
  if (input.device_model !== undefined) device.model = input.device_model;
  if (input.app_version !== undefined) device.app_version = input.app_version;
  return device;
}

export const DEVICE_PLATFORMS = ['ios', 'android', 'web'] as const;
export type DevicePlatform = (typeof DEVICE_PLATFORMS)[number];

export type DeviceRegistration = {
  token: string;
  platform: DevicePlatform;
  device_name?: string | undefined;
  device_model?: string | undefined;
  os_version?: string | undefined;
  app_version?: string | undefined;
  /** A Web Push subscription's keys (platform `web`): the device is then a `webpush` token. */
  keys?: WebPushKeys | undefined;
  /** A Live Activity's token (platform `ios`): the device is then an `apn` token (live-activity.ts). */
  live_activity?: LiveActivityToken | undefined;
};

export type DeviceQuery = { platform?: DevicePlatform; is_active?: boolean; limit: number; offset: number };

/**
 * Flameup's Devices API over the same `tokens` collection as the Courier API. Flameup delivers
 * iOS through FCM, so devices it creates are `firebase-fcm` tokens; a token first registered
 * through the Courier API keeps its provider_key. Registering again with the same token
 * updates only the fields given (that is how apps report a new app_version or os_version).
 */
export class DeviceRegistry {
  private readonly now: () => Date;
  private readonly budget: UserTokenBudget | undefined;

  constructor(
    private readonly model: TokenModel,
    private readonly options: { defaultTtl: Duration; budget?: UserTokenBudget; now?: () => Date; onEvent?: (event: RegistryEvent) => void; endpoints?: EndpointPolicy },
  ) {
    this.now = options.now ?? (() => new Date());
    this.budget = options.budget;
  }

  async register(workspaceId: string, personId: string, input: DeviceRegistration, view: { withKeys?: boolean } = {}): Promise<{ created: boolean; device: DeviceView }> {
    const now = this.now();
    // An expired token is already gone as far as the API is concerned: registering it creates it anew.
    await this.model.deleteOne({ workspace_id: workspaceId, token: input.token, expiry_date: { $lte: now } }).exec();
    const { doc, change, previous } = await this.write(workspaceId, personId, input, now);
    const created = change !== 'updated';
    this.options.onEvent?.({ type: 'registered', provider: doc.provider_key, change });

    // Flameup dedupes by device: same person, platform, model and name means the same device.
    const device = doc.device ?? {};
    if (device.name && device.model) {
      const replaced = await retireReplacedTokens(
        this.model,
        { workspaceId, userId: personId, keepTokens: [input.token], device: { platform: input.platform, model: device.model, name: device.name }, kind: sameKindQuery(input.live_activity) },
        now,
      );
      if (replaced > 0) this.options.onEvent?.({ type: 'refreshed', count: replaced });
    }
    // New to the person: its whole size. Updated in place: only its growth (never less than
    // nothing: a concurrent update may have changed what was read, and the counts must stay
    // upper bounds), and whether it came back to life.
    const written = previous
      ? { token: input.token, added: false, bytes: Math.max(0, storedBytes(doc) - storedBytes(previous)), activated: previous.status !== 'active' }
      : { token: input.token, added: true, bytes: storedBytes(doc) };
    await this.budget?.enforce(workspaceId, personId, [written], now);
    return { created, device: toDeviceView(doc, view) };
  }

  /**
   * The registration's write. The same person's device is updated in place with the fields
   * given. A token held by another person moves, and starts from nothing: no properties,
   * device ids, tracking, history or status of the previous owner survive (as Courier's
   * full-replace PUT clears them). Each write is conditional on what was read, so a racing
   * registration by another person makes this one look again, never merge the two.
   */
  private async write(
    workspaceId: string,
    personId: string,
    input: DeviceRegistration,
    now: Date,
  ): Promise<{ doc: TokenDocument; change: 'created' | 'updated' | 'transferred'; previous?: Pick<TokenDocument, 'status' | 'token' | 'user_id' | 'properties' | 'device' | 'tracking'> }> {
    // An activity's update token lives as long as an activity can; every other registration DEFAULT_TOKEN_TTL.
    const expiry = input.live_activity?.kind === 'update' ? new Date(now.getTime() + UPDATE_TOKEN_TTL_MS) : addDuration(now, this.options.defaultTtl);
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const holder = (await this.model.collection.findOne(
        { workspace_id: workspaceId, token: input.token },
        { projection: { user_id: 1, revision: 1, provider_key: 1, status: 1, token: 1, properties: 1, device: 1, tracking: 1 } },
      )) as Pick<TokenDocument, '_id' | 'user_id' | 'revision' | 'provider_key' | 'status' | 'token' | 'properties' | 'device' | 'tracking'> | null;
      // A token first registered through the Courier API keeps its provider, and its format
      // rules; a new one with a subscription's keys is Web Push, any other FCM (as Flameup's are).
      const provider = holder?.provider_key ?? (input.keys ? 'webpush' : input.live_activity ? 'apn' : 'firebase-fcm');
      if (input.live_activity && provider !== 'apn') throw new ValidationError([{ path: 'live_activity', message: `is for APNs tokens only; this token is ${provider}` }]);
      const problem = tokenFormatProblem(provider, input.token, this.options.endpoints);
      if (problem) throw new ValidationError([{ path: 'token', message: problem }]);
      const keysIssue = keysProblem(provider, input.keys);
      if (keysIssue) throw new ValidationError([{ path: 'keys', message: keysIssue }]);
      if (holder && holder.user_id !== personId) {
        const moved = await this.model
          .findOneAndUpdate(
            { _id: holder._id, revision: holder.revision },
            {
              $set: {
                user_id: personId,
                status: 'active',
                status_reason: null,
                properties: {},
                device: deviceFields(input),
                ...newLife(now),
                updated_at: now,
                expiry_date: expiry,
                ...(input.os_version !== undefined ? { tracking: { os_version: input.os_version } } : {}),
                ...(input.keys ? { keys: input.keys } : {}),
                ...(input.live_activity ? { live_activity: input.live_activity } : {}),
              },
              ...(input.os_version === undefined ? { $unset: { tracking: '' } } : {}),
              $inc: { revision: 1 },
            },
            { returnDocument: 'after' },
          )
          .lean<TokenDocument>()
          .exec();
        if (moved) return { doc: moved, change: 'transferred' };
        continue;
      }
      const set: Record<string, unknown> = {
        status: 'active',
        status_reason: null,
        updated_at: now,
        // Every registration is a sign of life, so it extends the token's life by DEFAULT_TOKEN_TTL.
        expiry_date: expiry,
        'device.platform': input.platform,
      };
      if (input.device_name !== undefined) set['device.name'] = input.device_name;
      if (input.device_model !== undefined) set['device.model'] = input.device_model;
      if (input.app_version !== undefined) set['device.app_version'] = input.app_version;
      if (input.os_version !== undefined) set['tracking.os_version'] = input.os_version;
      // A browser that subscribes again may get new keys for the same endpoint.
      if (input.keys) set.keys = input.keys;
      if (input.live_activity) set.live_activity = input.live_activity;
      try {
        // Keyed on the person too: if another person took the token meanwhile, this inserts a
        // duplicate (E11000) instead of updating their registration, and the loop looks again.
        const doc = await this.model
          .findOneAndUpdate(
            { workspace_id: workspaceId, token: input.token, user_id: personId },
            {
              $set: set,
              $setOnInsert: { _id: new Types.ObjectId(), provider_key: provider, properties: {}, ...newLife(now) },
              $inc: { revision: 1 },
            },
            { upsert: true, returnDocument: 'after' },
          )
          .lean<TokenDocument>()
          .exec();
        // revision starts at 1 on insert ($inc of a missing field), and is higher on any update.
        if (doc.revision === 1 || !holder) return { doc, change: 'created' };
        return { doc, change: 'updated', previous: holder };
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
    throw new ConflictError('The device kept changing while it was being registered; try again');
  }

  async list(workspaceId: string, personId: string, query: DeviceQuery, view: { withKeys?: boolean } = {}): Promise<{ devices: DeviceView[]; total: number }> {
    const filter = {
      workspace_id: workspaceId,
      user_id: personId,
      ...notExpired(this.now()),
      // Courier clients may have stored "iOS": match the platform without regard to case.
      ...(query.platform ? { 'device.platform': { $regex: `^${query.platform}$`, $options: 'i' } } : {}),
      ...(query.is_active === undefined ? {} : { status: query.is_active ? ('active' as const) : { $ne: 'active' as const } }),
    };
    const [docs, total] = await Promise.all([
      this.model.find(filter).sort({ _id: 1 }).skip(query.offset).limit(query.limit).lean<TokenDocument[]>().exec(),
      this.model.countDocuments(filter).exec(),
    ]);
    return { devices: docs.map((doc) => toDeviceView(doc, view)), total };
  }
}
