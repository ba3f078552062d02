import { z } from 'zod';
import { MAX_FILTER_LEAVES } from '../audiences/audience-filter';
import { idPageQuery } from './id-paging';

/** Courier's audiences API. */
export const audienceParams = z.strictObject({ audience_id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 . _ -') });
export const audiencesQuery = idPageQuery;
export const putAudienceBody = z.strictObject({
  name: z.string().min(1).max(256).nullish(),
  description: z.string().max(1024).nullish(),
  // Each filter's shape is checked by audience-filter.ts, which names the path of every problem.
  filter: z.strictObject({ filters: z.array(z.any()).max(MAX_FILTER_LEAVES, `must have at most ${MAX_FILTER_LEAVES} filters`) }).nullish(),
  operator: z.enum(['AND', 'OR'], { error: 'must be AND or OR' }).nullish(),
});
