import { z } from 'zod';
import { listIdProblem, listPatternProblem } from '../audiences/list-ids';
import { MAX_RECIPIENTS_PER_REQUEST } from '../audiences/list-store';
import { measureJson } from '../tokens/json-measure';
import { findUnsafeKeys, userId } from '../tokens/token-fields';
import { idPageQuery } from './id-paging';

/** Courier's lists API: list ids, patterns, subscriptions. */
export const listId = z.string().superRefine((id, ctx) => {
  const problem = listIdProblem(id);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
export const listPattern = z.string().superRefine((pattern, ctx) => {
  const problem = listPatternProblem(pattern);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** The most a subscription's preferences may take, as JSON. */
export const MAX_PREFERENCES_BYTES = 4_096;
/** Courier's recipient preferences: kept and answered as given, within a size and without prototype keys. */
const preferences = z
  .unknown()
  .superRefine((value, ctx) => {
    for (const problem of findUnsafeKeys(value, '')) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path.split('.').filter(Boolean) });
    if (measureJson(value, { maxBytes: MAX_PREFERENCES_BYTES, maxDepth: 16 }).exceeded) ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_PREFERENCES_BYTES} bytes of JSON, at most 16 deep` });
  })
  .pipe(z.record(z.string(), z.unknown()).nullable())
  .optional();

export const listParams = z.strictObject({ list_id: listId });
export const listUserParams = z.strictObject({ list_id: listId, user_id: userId });
export const listsQuery = idPageQuery.extend({ pattern: listPattern.optional() });
export const putListBody = z.strictObject({ name: z.string().min(1).max(256), preferences });
export const subscriptionsBody = z.strictObject({
  recipients: z
    .array(z.strictObject({ recipientId: userId, preferences }))
    .max(MAX_RECIPIENTS_PER_REQUEST, `must name at most ${MAX_RECIPIENTS_PER_REQUEST} recipients per request`),
});
export const subscribeUserBody = z.strictObject({ preferences }).optional();
/** PUT /lists/:list_id/restore takes an empty body (Courier's SDK sends `{}`). */
export const emptyBody = z.strictObject({}).optional();
