import type { Device, ProviderKey, TokenStatus, Tracking, WebPushKeys } from './token-fields';
import type { TokenDocument } from './token-model';
import type { LiveActivityToken } from './live-activity';

/** A token as the Courier-compatible API shows it. */
export interface TokenView {
  user_id: string;
  token: string;
  provider_key: ProviderKey;
  status: TokenStatus;
  status_reason: string | null;
  properties: Record<string, unknown>;
  device: Device | null;
  tracking: Tracking | null;
  expiry_date: string | false;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  /** APNs only: a Live Activity's token kind, type and activity (tokens/live-activity.ts). */
  live_activity?: LiveActivityToken;
  /** Web Push only: the subscription's keys (every route that shows a TokenView needs tokens:read). */
  keys?: WebPushKeys;
}

export function toTokenView(doc: TokenDocument): TokenView {
  return {
    user_id: doc.user_id,
    token: doc.token,
    provider_key: doc.provider_key,
    status: doc.status,
    status_reason: doc.status_reason ?? null,
    properties: doc.properties ?? {},
    device: doc.device ?? null,
    tracking: doc.tracking ?? null,
    expiry_date: doc.expiry_date ? doc.expiry_date.toISOString() : false,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
    last_used_at: doc.last_used_at ? doc.last_used_at.toISOString() : null,
    ...(doc.keys ? { keys: { p256dh: doc.keys.p256dh, auth: doc.keys.auth } } : {}),
    ...(doc.live_activity ? { live_activity: doc.live_activity } : {}),
  };
}
