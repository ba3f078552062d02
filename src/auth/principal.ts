import type { Scope } from './scopes';
import type { UserTokenScope } from './user-scope';

/**
 * Who is calling, as the routes see it after authentication (http/auth.ts): a secret API key
 * of a workspace with its scopes, or a user token bound to one workspace and its user ids.
 * Routes ask the principal; nothing after authentication reads the Authorization header.
 */
export type KeyPrincipal = {
  kind: 'api-key';
  workspaceId: string;
  scopes: ReadonlySet<Scope>;
  keyHint: string;
  /** A short digest that names the key in rate limiting and logs without revealing it. */
  keyId: string;
};

export type UserPrincipal = {
  kind: 'user';
  workspaceId: string;
  userIds: ReadonlySet<string>;
  read: boolean;
  write: boolean;
  /**
   * The API scopes the token reaches for its users: what read/write stand for, within what its
   * issuer held (user-scope.ts's userTokenReach). A route needs its scope here as well.
   */
  reach: ReadonlySet<UserTokenScope>;
  /** Names the user(s) in rate limiting: a user's tokens share one budget. */
  keyId: string;
};

export type Principal = KeyPrincipal | UserPrincipal;

/**
 * Whether the caller may see whole tokens and Web Push keys: an API key with tokens:read, or a
 * user token that reads and reaches tokens:read (its own users' tokens only; routes check which user).
 */
export function mayReadTokens(principal: Principal): boolean {
  if (principal.kind === 'api-key') return principal.scopes.has('tokens:read');
  return principal.read && principal.reach.has('tokens:read');
}
