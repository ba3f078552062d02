import { z } from 'zod';
import { PROVIDER_MODULES } from '../providers/catalogue';
import { CREDENTIAL_ID_PATTERN } from '../providers/key-checks';
import type { AppRef } from '../providers/provider-module';
import type { ProviderKey } from '../tokens/token-fields';

/**
 * What a credential and an app look like on the way in, built from the provider modules: each
 * module owns its credential body (key material checked offline, so a malformed .p8 or service
 * account is a 400 naming the field, with nothing stored) and its field of an app. Error
 * messages never quote key material.
 */
export const credentialId = z.string().regex(CREDENTIAL_ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 . _ -');
/** A bundle id or package name, as tokens carry in device.app_id; `default` serves the rest. */
export const appId = z.string().regex(/^[A-Za-z0-9._-]{1,256}$/, 'must be 1-256 of A-Z a-z 0-9 . _ - (a bundle id or package name, or default)');

/** The path parameters of the credential and app routes. */
export const credentialParams = z.object({ credential_id: credentialId });
export const appParams = z.object({ app_id: appId });

const PROVIDER_LIST = PROVIDER_MODULES.map((m) => m.key).join(', ');

/** A validated credential body: its provider_key says which module's shape the rest has (the module reads it). */
export type CredentialInput = { provider_key: ProviderKey; rate_per_second?: number | null } & Record<string, unknown>;

/** A credential's own pace for broadcasts, in notifications a second (the instance's BROADCAST_RATE_<PROVIDER> when absent). */
export const MAX_RATE_PER_SECOND = 10_000_000;
const ratePerSecond = z.number().int().min(1).max(MAX_RATE_PER_SECOND).nullable().optional().describe("This credential's pace for broadcasts, in notifications a second, shared by every replica; null or absent: the instance's BROADCAST_RATE_<PROVIDER>");

export const credentialBody = z.discriminatedUnion(
  'provider_key',
  PROVIDER_MODULES.map((m) => (m.credentialBody as unknown as z.ZodObject).safeExtend({ rate_per_second: ratePerSecond })) as unknown as [z.ZodObject<{ provider_key: z.ZodLiteral<string> }>, ...z.ZodObject<{ provider_key: z.ZodLiteral<string> }>[]],
  { error: `must be one of ${PROVIDER_LIST}` },
) as unknown as z.ZodType<CredentialInput>;

export const appBody = z.strictObject(Object.fromEntries(PROVIDER_MODULES.map((m) => [m.key, m.appRef.optional()])) as Record<ProviderKey, z.ZodOptional<z.ZodType<AppRef>>>);
/** Which credential serves the app, per provider key. */
export type AppInput = Partial<Record<ProviderKey, AppRef>>;
