import type { ProviderKey } from '../../tokens/token-fields';
import { compact, type Mapped } from './import-row';

/**
 * OneSignal's subscriptions CSV export (`POST /players/csv_export`, with `extra_fields`
 * `external_user_id`, `web_auth` and `web_p256`) → tokens, one row at a time (docs/import.md
 * has the table). Columns: id, identifier (the push token), session_count, language, timezone,
 * game_version, device_os, device_type, device_model, ad_id, tags, last_active, playtime,
 * amount_spent, created_at, invalid_identifier (t/f), badge_count, and the extra fields.
 */
export type OneSignalOptions = { anonymousPrefix: string; skipAnonymous: boolean; skipInvalid: boolean };

/** OneSignal's device_type → our provider and platform, or why the row is skipped. */
export const ONESIGNAL_DEVICE_TYPES: Record<string, { provider: ProviderKey; platform: string } | { skip: string }> = {
  '0': { provider: 'apn', platform: 'ios' },
  '1': { provider: 'firebase-fcm', platform: 'android' },
  '2': { skip: 'amazon' },
  '3': { skip: 'windows_phone' },
  '4': { skip: 'chrome_app' },
  '5': { provider: 'webpush', platform: 'web' },
  '6': { skip: 'windows' },
  '7': { skip: 'safari_legacy' },
  '8': { provider: 'webpush', platform: 'web' },
  '9': { skip: 'macos' },
  '10': { skip: 'alexa' },
  '11': { skip: 'email' },
  '13': { skip: 'huawei' },
  '14': { skip: 'sms' },
};

export function mapOneSignalRow(row: Record<string, string | undefined>, options: OneSignalOptions): Mapped {
  const type = ONESIGNAL_DEVICE_TYPES[(row.device_type ?? '').trim()];
  if (!type) return { kind: 'skip', reason: `device_type ${(row.device_type ?? '').trim() || '(none)'}` };
  if ('skip' in type) return { kind: 'skip', reason: type.skip };
  const invalid = (row.invalid_identifier ?? '').trim().toLowerCase();
  if ((invalid === 't' || invalid === 'true') && options.skipInvalid) return { kind: 'skip', reason: 'invalid' };
  const token = (row.identifier ?? '').trim();
  if (token === '') return { kind: 'skip', reason: 'no_token' };
  const external = (row.external_user_id ?? '').trim();
  if (external === '' && options.skipAnonymous) return { kind: 'skip', reason: 'anonymous' };
  let tags: unknown = {};
  const tagText = (row.tags ?? '').trim();
  if (tagText !== '') {
    try {
      tags = JSON.parse(tagText);
    } catch {
      return { kind: 'bad', problems: [{ path: 'tags', message: 'is not a JSON object' }] };
    }
    if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) return { kind: 'bad', problems: [{ path: 'tags', message: 'is not a JSON object' }] };
  }
  const adId = (row.ad_id ?? '').trim();
  const body: Record<string, unknown> = {
    provider_key: type.provider,
    properties: { ...(tags as Record<string, unknown>), onesignal: compact({ player_id: row.id?.trim(), language: row.language?.trim(), timezone: row.timezone?.trim() }) },
    device: compact({ platform: type.platform, model: row.device_model?.trim(), app_version: row.game_version?.trim(), ad_id: adId === 'OptedOut' ? undefined : adId }),
    tracking: compact({ os_version: row.device_os?.trim() }),
  };
  if (type.provider === 'webpush') body.keys = { p256dh: (row.web_p256 ?? '').trim(), auth: (row.web_auth ?? '').trim() };
  return {
    kind: 'token',
    user_id: external !== '' ? external : `${options.anonymousPrefix}${(row.id ?? '').trim()}`,
    token,
    body,
    ...(invalid === 't' || invalid === 'true' ? { state: { status: 'failed', status_reason: 'onesignal:invalid_identifier (imported)' } } : {}),
  };
}
