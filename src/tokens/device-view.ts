import type { WebPushKeys } from './token-fields';
import type { TokenDocument } from './token-model';
import type { LiveActivityToken } from './live-activity';

/** A token as the Flameup-compatible Devices API shows it. See docs/api.md for the mapping. */
export interface DeviceView {
  id: string;
  workspace_id: string;
  person_id: string;
  device_token: string;
  platform: string | null;
  device_name: string | null;
  device_model: string | null;
  os_version: string | null;
  app_version: string | null;
  /** Sendable: valid, not revoked, not expired (expired tokens are never shown at all). */
  is_active: boolean;
  /** False once a provider reported the token dead. */
  is_valid: boolean;
  last_used_at: string | null;
  created_at: string;
  updated_at: string;
  /** Web Push only, and only for callers with tokens:read: the subscription's keys. */
  keys?: WebPushKeys;
  /** A Live Activity's token (live-activity.ts). */
  live_activity?: LiveActivityToken;
}

export function toDeviceView(doc: TokenDocument, options: { withKeys?: boolean } = {}): DeviceView {
  const platform = doc.device?.platform;
  return {
    id: doc._id.toHexString(),
    workspace_id: doc.workspace_id,
    person_id: doc.user_id,
    device_token: doc.token,
    // Courier clients may have stored "iOS"; Flameup's values are lower case.
    platform: platform ? platform.toLowerCase() : null,
    device_name: doc.device?.name ?? null,
    device_model: doc.device?.model ?? null,
    os_version: doc.tracking?.os_version ?? null,
    app_version: doc.device?.app_version ?? null,
    is_active: doc.status === 'active',
    is_valid: doc.status !== 'failed',
    last_used_at: doc.last_used_at ? doc.last_used_at.toISOString() : null,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
    ...(options.withKeys && doc.keys ? { keys: { p256dh: doc.keys.p256dh, auth: doc.keys.auth } } : {}),
    ...(doc.live_activity ? { live_activity: doc.live_activity } : {}),
  };
}
