import { z } from 'zod';

/** POST /auth/issue-token, Courier's shape: `scope` in Courier's grammar, `expires_in` such as "2 hours". */
export const issueTokenBody = z.strictObject({
  scope: z.string({ error: 'is required: user_id:<id> and read:user-tokens and/or write:user-tokens, space-separated' }).max(8_192),
  expires_in: z.union([z.string().max(32), z.number()], { error: 'must be a duration such as "2 hours", "1d" or a number of seconds' }).optional(),
});

export const issuedToken = z.object({ token: z.string().describe('A JWT (ES256 or EdDSA) for Authorization: Bearer') });
