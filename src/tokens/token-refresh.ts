import type { TokenModel } from './token-model';
import { kindQuery } from './live-activity';

/** Status reason given to older tokens of a device when the device registers a new one. */
export const REPLACED_REASON = 'replaced';

/**
 * Token refresh: older tokens of the same user and device stop being sendable when the device
 * registers a new token. They stay readable, as `revoked` with status_reason `replaced`. Each
 * API identifies "the same device" its own way (`device` fields to match, e.g. Courier's
 * app_id + device_id, Flameup's platform + model + name). Answers how many were retired.
 */
export async function retireReplacedTokens(
  model: TokenModel,
  scope: { workspaceId: string; userId: string; keepTokens: string[]; device: Record<string, string>; kind?: Record<string, unknown> },
  now: Date,
): Promise<number> {
  const deviceMatch = Object.fromEntries(Object.entries(scope.device).map(([field, value]) => [`device.${field}`, value]));
  const result = await model
    .updateMany(
      {
        workspace_id: scope.workspaceId,
        user_id: scope.userId,
        ...deviceMatch,
        // Only tokens of the same kind (a device's ordinary tokens by default; live-activity.ts).
        ...(scope.kind ?? kindQuery('device')),
        token: { $nin: scope.keepTokens },
        status: { $in: ['active', 'unknown'] },
      },
      { $set: { status: 'revoked', status_reason: REPLACED_REASON, updated_at: now }, $inc: { revision: 1 } },
    )
    .exec();
  return result.modifiedCount;
}
