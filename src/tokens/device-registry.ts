import { Types } from 'mongoose';
import { addDuration, type Duration } from '../duration';
import type { DeviceView } from './device-view';
import { toDeviceView } from './device-view';
import type { TokenDocument, TokenModel } from './token-model';
import { notExpired } from './token-queries';
import { retireReplacedTokens } from './token-refresh';
import type { RegistryEvent } from './token-registry';
import { retryOnDuplicateKey } from './upsert-retry';

export const DEVICE_PLATFORMS = ['ios', 'android', 'web'] as const;
export type DevicePlatform = (typeof DEVICE_PLATFORMS)[number];

export type DeviceRegistration = {
  token: string;
  platform: DevicePlatform;
  device_name?: string | undefined;
  device_model?: string | undefined;
  os_version?: string | undefined;
  app_version?: string | undefined;
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

  constructor(
    private readonly model: TokenModel,
    private readonly options: { defaultTtl: Duration; now?: () => Date; onEvent?: (event: RegistryEvent) => void },
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async register(workspaceId: string, personId: string, input: DeviceRegistration): Promise<{ created: boolean; device: DeviceView }> {
    const now = this.now();
    // An expired token is already gone as far as the API is concerned: registering it creates it anew.
    await this.model.deleteOne({ workspace_id: workspaceId, token: input.token, expiry_date: { $lte: now } }).exec();
    const set: Record<string, unknown> = {
      user_id: personId,
      status: 'active',
      status_reason: null,
      updated_at: now,
      // Every registration is a sign of life, so it extends the token's life by DEFAULT_TOKEN_TTL.
      expiry_date: addDuration(now, this.options.defaultTtl),
      'device.platform': input.platform,
    };
    if (input.device_name !== undefined) set['device.name'] = input.device_name;
    if (input.device_model !== undefined) set['device.model'] = input.device_model;
    if (input.app_version !== undefined) set['device.app_version'] = input.app_version;
    if (input.os_version !== undefined) set['tracking.os_version'] = input.os_version;

    const doc = await retryOnDuplicateKey(() =>
      this.model
        .findOneAndUpdate(
          { workspace_id: workspaceId, token: input.token },
          {
            $set: set,
            $setOnInsert: { _id: new Types.ObjectId(), provider_key: 'firebase-fcm', properties: {}, created_at: now, last_used_at: null },
            $inc: { revision: 1 },
          },
          { upsert: true, returnDocument: 'after' },
        )
        .lean<TokenDocument>()
        .exec(),
    );
    // revision starts at 1 on insert ($inc of a missing field), and is higher on any update.
    const created = doc.revision === 1;
    this.options.onEvent?.({ type: 'registered', provider: doc.provider_key, change: created ? 'created' : 'updated' });

    // Flameup dedupes by device: same person, platform, model and name means the same device.
    const device = doc.device ?? {};
    if (device.name && device.model) {
      const replaced = await retireReplacedTokens(
        this.model,
        { workspaceId, userId: personId, keepTokens: [input.token], device: { platform: input.platform, model: device.model, name: device.name } },
        now,
      );
      if (replaced > 0) this.options.onEvent?.({ type: 'refreshed', count: replaced });
    }
    return { created, device: toDeviceView(doc) };
  }

  async list(workspaceId: string, personId: string, query: DeviceQuery): Promise<{ devices: DeviceView[]; total: number }> {
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
    return { devices: docs.map(toDeviceView), total };
  }
}
