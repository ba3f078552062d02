import { z } from 'zod';
import { TOKEN_KINDS } from '../tokens/live-activity';
import { measureJson } from '../tokens/json-measure';
import { MAX_TOKEN_DEPTH, PROVIDER_KEYS, refineKeys, registrationFields, TOKEN_STATUSES, tokenValue, userId } from '../tokens/token-fields';

/** Request shapes of the Courier-compatible token API. Field rules live in tokens/token-fields. */
export const MAX_TOKENS_PER_BULK_PUT = 100;
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PATCH_OPERATIONS = 100;

export const userParams = z.object({ user_id: userId });
export const tokenParams = z.object({ user_id: userId, token: tokenValue });
export const lookupParams = z.object({ token: tokenValue });

export const putTokenBody = z.strictObject({ ...registrationFields, token: tokenValue.optional() }).superRefine(refineKeys);

export const putTokensBody = z.strictObject({
  tokens: z
    .array(z.strictObject({ ...registrationFields, token: tokenValue }).superRefine(refineKeys))
    .min(1, 'must hold at least one token')
    .max(MAX_TOKENS_PER_BULK_PUT, `must hold at most ${MAX_TOKENS_PER_BULK_PUT} tokens`)
    .superRefine((items, ctx) => {
      const seen = new Set<string>();
      items.forEach((item, index) => {
        if (seen.has(item.token)) ctx.addIssue({ code: 'custom', path: [index, 'token'], message: 'appears twice in this request' });
        seen.add(item.token);
      });
    }),
});

/**
 * A whole number in a query string: plain decimal digits only, so `1e2`, `0x10`, ` 100` and
 * `+5` are refused rather than coerced; an empty value (`limit=`) means "not given".
 */
export function queryWholeNumber(range: { min: number; max: number; default: number }) {
  return z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined || text === '') return range.default;
      if (!/^\d{1,9}$/.test(text)) {
        ctx.addIssue({ code: 'custom', message: 'must be a whole number written in decimal digits' });
        return z.NEVER;
      }
      const value = Number(text);
      if (value < range.min || value > range.max) {
        ctx.addIssue({ code: 'custom', message: `must be from ${range.min} to ${range.max}` });
        return z.NEVER;
      }
      return value;
    });
}

/** `limit` of every list endpoint: 1 to 100, 50 by default. */
export const pageLimit = queryWholeNumber({ min: 1, max: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE });

export const listTokensQuery = z.strictObject({
  limit: pageLimit,
  cursor: z.string().max(64).optional(),
  provider_key: z.enum(PROVIDER_KEYS, { error: `must be one of ${PROVIDER_KEYS.join(', ')}` }).optional(),
  status: z.enum(TOKEN_STATUSES, { error: `must be one of ${TOKEN_STATUSES.join(', ')}` }).optional(),
  kind: z.enum(TOKEN_KINDS, { error: `must be one of ${TOKEN_KINDS.join(', ')} (device: a device's ordinary tokens)` }).optional(),
});

const pointer = z.string().max(1024);
/** Measured without recursion before anything copies it: a 5,000-deep value must be a 400, not a stack overflow. */
const patchValue = z.unknown().superRefine((value, ctx) => {
  if (measureJson(value, { maxBytes: Number.POSITIVE_INFINITY, maxDepth: MAX_TOKEN_DEPTH }).exceeded) {
    ctx.addIssue({ code: 'custom', message: `nesting must be at most ${MAX_TOKEN_DEPTH} levels deep` });
  }
});
const withValue = <T extends z.ZodRawShape>(shape: T) =>
  z.strictObject({ ...shape, value: patchValue }).refine((op) => 'value' in op, { message: 'is required', path: ['value'] });

export const patchOperation = z.union(
  [
    withValue({ op: z.literal('add'), path: pointer }),
    withValue({ op: z.literal('replace'), path: pointer }),
    withValue({ op: z.literal('test'), path: pointer }),
    z.strictObject({ op: z.literal('remove'), path: pointer }),
    z.strictObject({ op: z.literal('move'), from: pointer, path: pointer }),
    z.strictObject({ op: z.literal('copy'), from: pointer, path: pointer }),
  ],
  { error: 'must be an RFC 6902 operation: {op: add|remove|replace|move|copy|test, path, value|from}' },
);

export const patchTokenBody = z.strictObject({
  patch: z
    .array(patchOperation)
    .min(1, 'must hold at least one operation')
    .max(MAX_PATCH_OPERATIONS, `must hold at most ${MAX_PATCH_OPERATIONS} operations`),
});
