import { isValidUserId, MAX_USER_ID_LENGTH } from '../tokens/token-fields';

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
