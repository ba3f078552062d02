
import type { FieldProblem } from '../../errors';
import { registration as registrationSchema, TOKEN_STATUSES, tokenValue, userId as userIdSchema, type TokenStatus } from '../../tokens/token-fields';
import { tokenFormatProblem } from '../../tokens/token-formats';
import type { ImportRow } from '../../tokens/token-import';
import type { EndpointPolicy } from '../../tokens/webpush-endpoint';
import { issuesToProblems } from '../../validation';

/**
 * What a format's reader makes of one record of its file (a CSV row, a JSON object): a token
 * to import, in the shape of Courier's PUT body plus its user; or a record to skip, and why
 * (`email`, `anonymous`…); or a record that is wrong, and where. Every mapping is a pure
 * function (one per format, table-tested); checkRow then applies the API's own rules.
 */
export type Mapped =
  | { kind: 'token'; user_id: unknown; token: unknown; body: Record<string, unknown>; state?: RawState }
  | { kind: 'skip'; reason: string }
  | { kind: 'bad'; problems: FieldProblem[] };
export type RawState = { status?: unknown; status_reason?: unknown; created_at?: unknown; updated_at?: unknown; last_used_at?: unknown };

export type Checked = { kind: 'token'; row: ImportRow } | { kind: 'skip'; reason: string } | { kind: 'bad'; problems: FieldProblem[] };

const dateOf = (value: unknown): Date | undefined => (typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value) : undefined);

/**
 * The API's rules for one mapped record: the user id, the token's shape for its provider, every
 * field of the PUT body (display fields, Web Push keys, the endpoint allowlist), as a 400 would
 * name them. A token whose own expiry has passed is skipped (`expired`): storing it would only
 * hand it to the TTL index.
 */
export function checkRow(mapped: Mapped, endpoints: EndpointPolicy | undefined, now: Date): Checked {
  if (mapped.kind !== 'token') return mapped;
  const problems: FieldProblem[] = [];
  const user = userIdSchema.safeParse(mapped.user_id);
  if (!user.success) problems.push(...issuesToProblems(user.error.issues, 'user_id'));
  const token = tokenValue.safeParse(mapped.token);
  if (!token.success) problems.push(...issuesToProblems(token.error.issues, 'token'));
  const expiry = mapped.body.expiry_date;
  if (typeof expiry === 'string' && Date.parse(expiry) <= now.getTime()) return { kind: 'skip', reason: 'expired' };
  const body = registrationSchema.safeParse(mapped.body);
  if (!body.success) problems.push(...issuesToProblems(body.error.issues));
  const state = mapped.state ? stateOf(mapped.state, problems) : undefined;
  if (problems.length > 0 || !user.success || !token.success || !body.success) return { kind: 'bad', problems };
  const format = tokenFormatProblem(body.data.provider_key, token.data, endpoints);
  if (format) return { kind: 'bad', problems: [{ path: 'token', message: format }] };
  return { kind: 'token', row: { user_id: user.data, token: token.data, registration: body.data, ...(state ? { state } : {}) } };
}

function stateOf(raw: RawState, problems: FieldProblem[]): ImportRow['state'] {
  const status = raw.status ?? 'active';
  if (!(TOKEN_STATUSES as readonly unknown[]).includes(status)) problems.push({ path: 'status', message: `must be one of ${TOKEN_STATUSES.join(', ')}` });
  const reason = raw.status_reason ?? null;
  if (reason !== null && (typeof reason !== 'string' || reason.length > 1024)) problems.push({ path: 'status_reason', message: 'must be a string of at most 1024 characters, or null' });
  const times: Record<string, Date | undefined> = {};
  for (const field of ['created_at', 'updated_at', 'last_used_at'] as const) {
    const value = raw[field];
    if (value === undefined || value === null) continue;
    times[field] = dateOf(value);
    if (!times[field]) problems.push({ path: field, message: 'must be an ISO 8601 date-time' });
  }
  return {
    status: status as TokenStatus,
    status_reason: reason as string | null,
    ...(times.created_at ? { created_at: times.created_at } : {}),
    ...(times.updated_at ? { updated_at: times.updated_at } : {}),
    ...(raw.last_used_at !== undefined ? { last_used_at: times.last_used_at ?? null } : {}),
  };
}

/** Drops undefined and empty-string fields, so an absent CSV cell is an absent field. */
export function compact<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== '')) as Partial<T>;
}

