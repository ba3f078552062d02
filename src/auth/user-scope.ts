import { isValidUserId, MAX_USER_ID_LENGTH } from '../tokens/token-fields';
import type { Scope } from './scopes';

/**
 * Courier's scope grammar for user tokens (POST /auth/issue-token): space-separated entries,
 * `user_id:<id>` (one or more), `read:user-tokens` and `write:user-tokens`. Courier's other
 * scopes (`inbox:read:messages`, `read:preferences`, `read:brands`, …) are accepted and carry no
 * rights here, so a backend's existing scope string keeps working.
 */
export type UserScope = { userIds: string[]; read: boolean; write: boolean };

export const READ_USER_TOKENS = 'read:user-tokens';
export const WRITE_USER_TOKENS = 'write:user-tokens';
const USER_PREFIX = 'user_id:';
const MAX_SCOPE_ENTRIES = 100;

export function parseUserScope(text: string): { scope: UserScope } | { problem: string } {
  const entries = text.split(/[ \t\n\r]+/).filter(Boolean);
  if (entries.length > MAX_SCOPE_ENTRIES) return { problem: `must have at most ${MAX_SCOPE_ENTRIES} entries` };
  const userIds: string[] = [];
  let read = false;
  let write = false;
  for (const entry of entries) {
    if (entry.startsWith(USER_PREFIX)) {
      const id = entry.slice(USER_PREFIX.length);
      // The same rule as a user id in a path, so a token can only name users the API accepts.
      if (!isValidUserId(id)) {
        return { problem: `"${entry.slice(0, 40)}" must be user_id: followed by a user id of 1-${MAX_USER_ID_LENGTH} visible characters` };
      }
      if (!userIds.includes(id)) userIds.push(id);
    } else if (entry === READ_USER_TOKENS) {
      read = true;
    } else if (entry === WRITE_USER_TOKENS) {
      write = true;
    }
  }
  if (userIds.length === 0) return { problem: 'must name at least one user, as user_id:<id>' };
  return { scope: { userIds, read, write } };
}

export function formatUserScope(scope: UserScope): string {
  return [...scope.userIds.map((id) => `${USER_PREFIX}${id}`), ...(scope.read ? [READ_USER_TOKENS] : []), ...(scope.write ? [WRITE_USER_TOKENS] : [])].join(' ');
}

/**
 * What a user token can reach, as API-key scopes: `read:user-tokens` stands for reading through
 * both APIs (Courier's tokens, Flameup's devices) and `write:user-tokens` for writing through
 * both, and for the user's own list subscriptions (courier-js's lists.putSubscription). Each API is granted separately, and only where the issuer holds it.
 */
export const USER_TOKEN_REACH = { read: ['tokens:read', 'devices:read', 'lists:read'], write: ['tokens:write', 'devices:write', 'lists:write'] } as const satisfies Record<'read' | 'write', readonly Scope[]>;
export type UserTokenScope = (typeof USER_TOKEN_REACH)[keyof typeof USER_TOKEN_REACH][number];
export const USER_TOKEN_SCOPES: readonly UserTokenScope[] = [...USER_TOKEN_REACH.read, ...USER_TOKEN_REACH.write];

export function isUserTokenScope(value: unknown): value is UserTokenScope {
  return typeof value === 'string' && (USER_TOKEN_SCOPES as readonly string[]).includes(value);
}

/**
 * The scopes a token with `scope` reaches when its issuer may grant only `grantable`: what
 * read:user-tokens and write:user-tokens stand for, within what the issuer holds. Answers,
 * for each of read and write that the scope asks for, whether anything of it was left to
 * grant (an issuer refuses a token whose read or write part would grant nothing).
 */
export function userTokenReach(scope: Pick<UserScope, 'read' | 'write'>, grantable: ReadonlySet<string>): { reach: UserTokenScope[]; empty: ('read' | 'write')[] } {
  const reach: UserTokenScope[] = [];
  const empty: ('read' | 'write')[] = [];
  for (const part of ['read', 'write'] as const) {
    if (!scope[part]) continue;
    const granted = USER_TOKEN_REACH[part].filter((s) => grantable.has(s));
    if (granted.length === 0) empty.push(part);
    reach.push(...granted);
  }
  return { reach, empty };
}
