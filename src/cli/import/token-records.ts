import { compact, type Mapped } from './import-row';

/**
 * Our own token shape, two ways:
 *
 * - `tokens-ndjson`: one object per line in the shape Courier's PUT takes, plus `user_id` and
 *   `token`; `admin export` writes exactly this (with `status`, `status_reason`, the times,
 *   `id` and `workspace_id`, which is ignored), so an export imports unchanged.
 * - `tokens-csv`: a header row, then `user_id,token,provider_key` and any of the optional
 *   columns in TOKEN_CSV_COLUMNS (`admin export --format tokens-csv` writes them all).
 */
const REGISTRATION_FIELDS = ['provider_key', 'properties', 'device', 'tracking', 'expiry_date', 'keys', 'live_activity'] as const;
const STATE_FIELDS = ['status', 'status_reason', 'created_at', 'updated_at', 'last_used_at'] as const;
/** What an export line carries that is not the token's: left out, never an error. */
const EXPORT_ONLY = new Set(['id', 'workspace_id', 'user_id', 'token']);

export function mapTokenRecord(doc: Record<string, unknown>): Mapped {
  const body: Record<string, unknown> = {};
  const state: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if ((REGISTRATION_FIELDS as readonly string[]).includes(key)) body[key] = value;
    else if ((STATE_FIELDS as readonly string[]).includes(key)) state[key] = value;
    else if (!EXPORT_ONLY.has(key)) unknown.push(key);
  }
  if (unknown.length > 0) return { kind: 'bad', problems: unknown.map((key) => ({ path: key, message: 'is not a known field' })) };
  return { kind: 'token', user_id: doc.user_id, token: doc.token, body, ...(Object.keys(state).length > 0 ? { state } : {}) };
}

/** The columns of `tokens-csv`, in the order `admin export --format tokens-csv` writes them. */
export const TOKEN_CSV_COLUMNS = [
  'user_id', 'token', 'provider_key', 'status', 'status_reason', 'app_id', 'device_id', 'platform', 'manufacturer', 'model', 'app_version', 'os_version', 'expiry_date', 'p256dh', 'auth', 'properties',
] as const;
const REQUIRED_CSV = ['user_id', 'token', 'provider_key'];

export function missingCsvColumns(header: readonly string[]): string[] {
  return REQUIRED_CSV.filter((column) => !header.includes(column));
}

export function mapTokenCsvRow(row: Record<string, string | undefined>): Mapped {
  const unknown = Object.keys(row).filter((key) => !(TOKEN_CSV_COLUMNS as readonly string[]).includes(key));
  if (unknown.length > 0) return { kind: 'bad', problems: unknown.map((key) => ({ path: key, message: 'is not a tokens-csv column' })) };
  let properties: unknown;
  if (row.properties !== undefined && row.properties !== '') {
    try {
      properties = JSON.parse(row.properties);
    } catch {
      return { kind: 'bad', problems: [{ path: 'properties', message: 'is not JSON' }] };
    }
  }
  const expiry = row.expiry_date === 'false' ? false : row.expiry_date || undefined;
  const device = compact({ app_id: row.app_id, device_id: row.device_id, platform: row.platform, manufacturer: row.manufacturer, model: row.model, app_version: row.app_version });
  const tracking = compact({ os_version: row.os_version });
  const body: Record<string, unknown> = compact({
    provider_key: row.provider_key,
    properties,
    device: Object.keys(device).length > 0 ? device : undefined,
    tracking: Object.keys(tracking).length > 0 ? tracking : undefined,
    expiry_date: expiry,
    keys: row.p256dh || row.auth ? { p256dh: row.p256dh ?? '', auth: row.auth ?? '' } : undefined,
  });
  if (expiry === false) body.expiry_date = false;
  const state = compact({ status: row.status, status_reason: row.status_reason });
  return { kind: 'token', user_id: row.user_id, token: row.token, body, ...(Object.keys(state).length > 0 ? { state } : {}) };
}

/** One token as a tokens-csv row (the export's side), cells in TOKEN_CSV_COLUMNS order. */
export function tokenCsvCells(view: { user_id: string; token: string; provider_key: string; status: string; status_reason: string | null; properties: Record<string, unknown>; device: Record<string, unknown> | null; tracking: Record<string, unknown> | null; expiry_date: string | false; keys?: { p256dh: string; auth: string } }): string[] {
  const d = view.device ?? {};
  const cell = (value: unknown) => (value === undefined || value === null ? '' : String(value));
  return [
    view.user_id, view.token, view.provider_key, view.status, cell(view.status_reason), cell(d.app_id), cell(d.device_id), cell(d.platform), cell(d.manufacturer), cell(d.model), cell(d.app_version),
    cell(view.tracking?.os_version), view.expiry_date === false ? 'false' : view.expiry_date, cell(view.keys?.p256dh), cell(view.keys?.auth), Object.keys(view.properties).length > 0 ? JSON.stringify(view.properties) : '',
  ];
}

/** A CSV cell, quoted when it must be (RFC 4180). */
export function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
