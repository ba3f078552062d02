import { ECDH } from 'node:crypto';
import { z } from 'zod';
import { liveActivityField } from './live-activity';

/**
 * The shapes of a token's fields, shared by the HTTP schemas and the domain (a PATCH result is
 * checked against the same rules as a PUT body). Limits are named so docs and tests can cite them.
 */
export const PROVIDER_KEYS = ['apn', 'firebase-fcm', 'expo', 'onesignal', 'webpush'] as const;
export type ProviderKey = (typeof PROVIDER_KEYS)[number];

export const TOKEN_STATUSES = ['active', 'unknown', 'failed', 'revoked'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

export const MAX_TOKEN_LENGTH = 4096;
export const MAX_USER_ID_LENGTH = 256;
export const MAX_FIELD_LENGTH = 256;
export const MAX_STATUS_REASON_LENGTH = 1024;
/** Deeper than any real custom data, and far below BSON's own nesting limit of 100. */
export const MAX_PROPERTIES_DEPTH = 20;
/** A token as the API shows it: `properties` at the top, so one level more than its contents. */
export const MAX_TOKEN_DEPTH = MAX_PROPERTIES_DEPTH + 1;
/**
 * The largest token, as JSON (what a GET answers). A PUT can't exceed it (its body is at most
 * 64 KiB, plus the token and ids from the path); a PATCH is checked against it as each
 * operation applies, so no token can be grown into megabytes by copy operations.
 */
export const MAX_TOKEN_JSON_BYTES = 96 * 1024;

/**
 * The characters of every supported provider's tokens: APNs (hex), FCM (A-Z a-z 0-9 : _ -),
 * Expo (`ExponentPushToken[...]`), OneSignal (UUIDs), plus `.`, `~`, `+` and `=` for base64-ish
 * tokens. Slashes, `%`, `?`, `#`, whitespace and control characters are refused, and so are the
 * tokens `.` and `..`, so that a token can never be read as a path or query by a proxy or an
 * admin script. (Dots inside a token are fine: Flameup's own example is "fMhT8K9x...your_fcm_token".)
 */
const TOKEN_PATTERN = /^[A-Za-z0-9_:\-.~+=[\]]+$/;

/**
 * A Web Push subscription's token is its endpoint, an https URL (URL-encoded in a path). It
 * must be written as a browser writes it (the WHATWG serialisation, which PushSubscription's
 * `endpoint` is), so that one subscription has one spelling; token-formats.ts holds it to the
 * allowed push services.
 */
export const isEndpointToken = (token: string): boolean => token.startsWith('https://');

function endpointShapeProblem(token: string): string | undefined {
  if (/[\s\p{Cc}]/u.test(token)) return 'must not contain white space or control characters';
  try {
    const url = new URL(token);
    if (url.href !== token) return `must be written as a browser writes it (${url.href.length <= 200 ? url.href : 'the WHATWG serialisation'})`;
    if (url.username || url.password) return 'must not carry credentials';
    if (url.hash) return 'must not have a fragment';
  } catch {
    return 'is not a valid URL';
  }
  return undefined;
}

export const tokenValue = z.string().superRefine((token, ctx) => {
  // One message per token, the first rule it breaks, so a 400 reads clearly.
  const problem =
    token.length === 0
      ? 'must not be empty'
      : token.length > MAX_TOKEN_LENGTH
        ? `must be at most ${MAX_TOKEN_LENGTH} characters`
        : isEndpointToken(token)
          ? endpointShapeProblem(token)
          : !TOKEN_PATTERN.test(token)
            ? 'may contain only A-Z a-z 0-9 _ : - . ~ + = [ ] (or be a Web Push endpoint, an https URL)'
            : /^\.+$/.test(token)
              ? 'must not be only dots'
              : undefined;
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** base64url, as PushSubscription.toJSON() writes it; padding is accepted and dropped. */
const base64url = (bytes: number, what: string) =>
  z
    .string({ error: `must be a base64url string (${what})` })
    .max(200)
    .regex(/^[A-Za-z0-9_-]+={0,2}$/, `must be base64url (${what})`)
    .transform((text) => text.replace(/=+$/, ''))
    .refine((text) => Buffer.from(text, 'base64url').length === bytes, `must decode to ${bytes} bytes (${what})`);

/** An uncompressed P-256 point: 0x04, x and y, on the curve (what the browser's p256dh is). */
function isP256Point(text: string): boolean {
  const bytes = Buffer.from(text, 'base64url');
  if (bytes[0] !== 0x04) return false;
  try {
    ECDH.convertKey(bytes, 'prime256v1');
    return true;
  } catch {
    return false;
  }
}

/**
 * A Web Push subscription's keys (PushSubscription.keys): the browser's P-256 public key and
 * its 16-byte auth secret, which the payload is encrypted with (RFC 8291). They are secrets
 * like the token: never logged, shown only to callers with tokens:read.
 */
export const webPushKeysField = z.strictObject({
  p256dh: base64url(65, "the subscription's P-256 public key, uncompressed").refine(isP256Point, 'must be an uncompressed point on P-256 (65 bytes starting 0x04)'),
  auth: base64url(16, "the subscription's auth secret"),
});
export type WebPushKeys = z.output<typeof webPushKeysField>;

/** `keys` is required for webpush and refused for every other provider (a bulk item's path is given as its prefix). */
export function keysProblem(providerKey: string, keys: unknown): string | undefined {
  if (providerKey === 'webpush') return keys ? undefined : 'is required for webpush: the subscription\'s keys {p256dh, auth}';
  return keys ? 'is only for webpush tokens' : undefined;
}

/**
 * Characters a user id may not hold, because they are invisible or change how text around
 * them reads, in logs, the console and admin tooling: C0 and C1 controls (Cc), format
 * characters such as zero-width spaces and bidi overrides like U+202E (Cf), line and
 * paragraph separators, and unpaired surrogates (not text at all).
 *
 * Ids are otherwise byte-exact, as Courier's are: no Unicode normalisation, so "é" written
 * as one code point and as e + U+0301 are two users. An id is the caller's key for its own
 * user, and normalising it could merge two users the caller keeps apart.
 */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

/**
 * An id that shows as nothing: only white space and characters that render blank, such as the
 * Hangul filler U+3164 and the braille blank U+2800 (Default_Ignorable_Code_Point covers the
 * fillers; the braille blank is a visible-width symbol with no dots). Two such ids can't be
 * told apart by a person reading a log or the console.
 */
const BLANK = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\u2800]*$/u;

/** The user-id rule as a predicate, for ids that arrive elsewhere than a path (a user token's scope). */
export const isValidUserId = (id: string): boolean => id.length >= 1 && id.length <= MAX_USER_ID_LENGTH && !INVISIBLE_OR_CONTROL.test(id) && !BLANK.test(id);

export const userId = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_USER_ID_LENGTH, `must be at most ${MAX_USER_ID_LENGTH} characters`)
  .refine((id) => !INVISIBLE_OR_CONTROL.test(id), 'must not contain control, invisible or bidi formatting characters')
  .refine((id) => !BLANK.test(id), 'must not be blank or only invisible characters');

/**
 * What display text (a device's name, model, a status reason) may not hold: controls (NUL,
 * ESC, which could drive a terminal that shows a log), bidi embeddings, overrides and isolates
 * (U+202E turns "exe.txt" around), line and paragraph separators, and unpaired surrogates.
 * Unlike ids, text keeps joiners and variation selectors, which emoji in device names use.
 */
const CONTROL_OR_BIDI = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\p{Zl}\p{Zp}\p{Cs}]/u;
const NO_CONTROL_OR_BIDI = 'must not contain control or bidi formatting characters';

/** Display text of at most `max` characters, with no control or bidi characters. */
export const displayText = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !CONTROL_OR_BIDI.test(value), NO_CONTROL_OR_BIDI);

const text = displayText(MAX_FIELD_LENGTH);

/** Drops the members whose value is null: Courier's SDK types allow null for "absent". */
function withoutNulls<T extends Record<string, unknown>>(object: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== null)) as { [K in keyof T]: Exclude<T[K], null> };
}

const nullableText = text.nullish();

export const deviceFields = z
  .strictObject({
    app_id: nullableText,
    ad_id: nullableText,
    device_id: nullableText,
    platform: nullableText,
    manufacturer: nullableText,
    model: nullableText,
    // Not in Courier's reference: the Flameup API's device_name and app_version live here, so
    // both APIs and admin scripts see one record. See docs/storage.md.
    name: nullableText,
    app_version: nullableText,
  })
  .transform(withoutNulls);
export type Device = z.output<typeof deviceFields>;

export const trackingFields = z
  .strictObject({
    os_version: nullableText,
    ip: nullableText,
    lat: nullableText,
    long: nullableText,
  })
  .transform(withoutNulls);
export type Tracking = z.output<typeof trackingFields>;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Why a key can't be stored: `$` starts a MongoDB operator and `.` is a path separator, so
 * either could turn data into a query; the prototype keys are refused so that no code that
 * later copies the object can be tricked into changing Object.prototype.
 */
function keyProblem(key: string, stored: boolean): string | undefined {
  if (stored && key.startsWith('$')) return 'keys must not start with "$"';
  if (stored && key.includes('.')) return 'keys must not contain "."';
  if (key.includes('\u0000')) return 'keys must not contain NUL';
  if (FORBIDDEN_KEYS.has(key)) return `"${key}" is not allowed as a key`;
  return undefined;
}

/**
 * Walks iteratively, so a hostile 10,000-deep document can't overflow the stack. `sent`: JSON
 * that is only sent on (a push's data and overrides), where `$` and `.` are ordinary key
 * characters; the prototype keys, NUL and the depth bound hold everywhere.
 */
export function findUnsafeKeys(value: unknown, basePath: string, { sent = false }: { sent?: boolean } = {}): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: basePath, depth: 0 }];
  while (stack.length > 0 && problems.length < 20) {
    const { value: current, path, depth } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth >= MAX_PROPERTIES_DEPTH) {
      problems.push({ path, message: `nesting must be at most ${MAX_PROPERTIES_DEPTH} levels deep` });
      continue;
    }
    if (Array.isArray(current)) {
      current.forEach((item, index) => stack.push({ value: item, path: `${path}[${index}]`, depth: depth + 1 }));
      continue;
    }
    for (const key of Object.keys(current)) {
      const problem = keyProblem(key, !sent);
      const childPath = `${path}.${key}`;
      if (problem) problems.push({ path: childPath, message: problem });
      else stack.push({ value: (current as Record<string, unknown>)[key], path: childPath, depth: depth + 1 });
    }
  }
  return problems;
}

/**
 * Unsafe keys are looked for in the raw input, before zod copies it: a copy made by plain
 * assignment would turn an own "__proto__" key into a prototype and hide it.
 */
export const propertiesField = z
  .unknown()
  .superRefine((properties, ctx) => {
    for (const problem of findUnsafeKeys(properties, '')) {
      ctx.addIssue({ code: 'custom', message: problem.message, path: pathSegments(problem.path) });
    }
  })
  .pipe(z.record(z.string(), z.unknown(), { error: 'must be an object' }));

/** Turns ".a[0].b" back into ['a', 0, 'b'] so zod reports it under the right field. */
function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const match of path.matchAll(/\.([^.[]+)|\[(\d+)\]/g)) {
    segments.push(match[2] !== undefined ? Number(match[2]) : match[1]!);
  }
  return segments;
}

/** ISO 8601, or `false` for a token that never expires. A date in the past is refused. */
export const expiryDateField = z.union([
  z.literal(false),
  z
    .union([z.iso.datetime({ offset: true }), z.iso.date()], {
      error: 'must be an ISO 8601 date-time (e.g. 2030-01-01T00:00:00.000Z) or false',
    })
    .refine((value) => new Date(value).getTime() > Date.now(), 'must be in the future'),
], { error: 'must be an ISO 8601 date-time (e.g. 2030-01-01T00:00:00.000Z) or false' });

/**
 * `expiry_date` of a registration, as Courier's request types allow it: a date, `false` (never
 * expires), and `true` or null (the default expiry, DEFAULT_TOKEN_TTL from now).
 */
export const registrationExpiryField = z.union([z.literal(true), z.null(), expiryDateField], {
  error: 'must be an ISO 8601 date-time (e.g. 2030-01-01T00:00:00.000Z), false (never), or true/null (the default expiry)',
});

/**
 * The body fields of a token registration, without the token itself. null for `device`,
 * `tracking`, `expiry_date`, `properties` or any field inside `device` and `tracking` means
 * absent, as in Courier's SDK types (its OpenAPI marks them nullable).
 */
export const registrationFields = {
  provider_key: z.enum(PROVIDER_KEYS, { error: `must be one of ${PROVIDER_KEYS.join(', ')}` }),
  properties: propertiesField.nullish(),
  device: deviceFields.nullish(),
  tracking: trackingFields.nullish(),
  expiry_date: registrationExpiryField.optional(),
  /** Web Push only (and required there): the subscription's keys. */
  keys: webPushKeysField.nullish(),
  /** APNs only: a Live Activity's push-to-start or update token (tokens/live-activity.ts). */
  live_activity: liveActivityField.nullish(),
};

/** The rule across a registration's fields: `keys` goes with webpush, and only with it. */
export function refineKeys(registration: { provider_key: string; keys?: unknown; live_activity?: unknown }, ctx: z.RefinementCtx): void {
  const problem = keysProblem(registration.provider_key, registration.keys);
  if (problem) ctx.addIssue({ code: 'custom', path: ['keys'], message: problem });
  // Android has no counterpart of Live Activities: only APNs tokens are ActivityKit's.
  if (registration.live_activity != null && registration.provider_key !== 'apn') ctx.addIssue({ code: 'custom', path: ['live_activity'], message: 'is for APNs tokens only (provider_key apn): Live Activities are iOS’s' });
}

export const registration = z.strictObject(registrationFields).superRefine(refineKeys);
export type Registration = z.infer<typeof registration>;

/** What a PATCH may leave behind: the editable part of a token, checked after the patch is applied. */
export const editableToken = z.strictObject({
  status: z.enum(TOKEN_STATUSES, { error: `must be one of ${TOKEN_STATUSES.join(', ')}` }),
  status_reason: displayText(MAX_STATUS_REASON_LENGTH).nullable().optional(),
  properties: propertiesField.optional(),
  device: deviceFields.nullable().optional(),
  tracking: trackingFields.nullable().optional(),
  expiry_date: expiryDateField,
});
export type EditableToken = z.infer<typeof editableToken>;
