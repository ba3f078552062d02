import { createHash, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { UnauthenticatedError, UnavailableError } from '../errors';
import type { UserPrincipal } from './principal';
import type { SigningKeyRing } from './signing-keys';
import { formatUserScope, isUserTokenScope, parseUserScope, USER_TOKEN_SCOPES, userTokenReach, type UserScope, type UserTokenScope } from './user-scope';
import type { WorkspaceKey } from './workspace-keys';

/**
 * Short-lived JWTs scoped to users, as Courier's client SDKs use them: issued by the service
 * (POST /auth/issue-token) or minted by a workspace's own backend with a key it registered.
 * Verified ones are cached until they expire, so a client's second request costs a map lookup.
 */
const ISSUER = 'push-token-registry';
/** A bearer value shaped like a JWT (a JSON header, base64url): verified as one, never as an API key. */
export const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const CLOCK_TOLERANCE_S = 5;
const CACHE_LIMIT = 10_000;
const INVALID = 'The user token is invalid or expired';
/**
 * The API scopes a token reaches (user-scope.ts). The service's own tokens always carry it;
 * one issued before it existed reaches what its read/write scope stands for, as it did then.
 */
const REACH_CLAIM = 'reach';
const ALL_REACH: ReadonlySet<string> = new Set(USER_TOKEN_SCOPES);

export type UserTokenOptions = {
  /** Undefined where no key is configured: verification of workspace keys still works, issuing does not. */
  ring: SigningKeyRing | undefined;
  /** Why there is no ring, naming the variable to set (answered with a 503 by /auth/issue-token). */
  missingRingReason?: string;
  workspaceKeys?: ReadonlyMap<string, WorkspaceKey>;
  maxTtlSeconds: number;
  now?: () => number;
};

export class UserTokens {
  private readonly cache = new Map<string, { principal: UserPrincipal; expiresAtMs: number }>();
  private readonly now: () => number;

  constructor(private readonly options: UserTokenOptions) {
    this.now = options.now ?? Date.now;
  }

  get maxTtlSeconds(): number {
    return this.options.maxTtlSeconds;
  }

  publicJwks() {
    return this.options.ring?.publicJwks() ?? { keys: [] };
  }

  /** `reach`: the API scopes the token may use, within what its issuer holds (userTokenReach). */
  async issue(workspaceId: string, scope: UserScope, ttlSeconds: number, reach: readonly UserTokenScope[]): Promise<string> {
    const ring = this.options.ring;
    if (!ring) throw new UnavailableError(this.options.missingRingReason ?? 'No signing key is configured for user tokens');
    const { kid, alg, privateKey } = ring.signer;
    const issuedAt = Math.floor(this.now() / 1000);
    return new SignJWT({ workspace_id: workspaceId, scope: formatUserScope(scope), [REACH_CLAIM]: [...reach] })
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds)
      .setJti(randomUUID())
      .sign(privateKey);
  }

  /** The principal a JWT stands for; any failure is the same 401, which never quotes the token. */
  async verify(jwt: string): Promise<UserPrincipal> {
    const cached = this.cache.get(jwt);
    if (cached && cached.expiresAtMs > this.now()) return cached.principal;
    if (cached) this.cache.delete(jwt);
    const principal = await this.verifyUncached(jwt).catch((error: unknown) => {
      if (error instanceof UnauthenticatedError) throw error;
      throw new UnauthenticatedError(INVALID);
    });
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(jwt, { principal, expiresAtMs: principal.expiresAtMs });
    return principal;
  }

  private async verifyUncached(jwt: string): Promise<UserPrincipal & { expiresAtMs: number }> {
    const { kid, alg } = decodeProtectedHeader(jwt);
    if (typeof kid !== 'string') throw new UnauthenticatedError(INVALID);
    const own = this.options.ring?.find(kid);
    const theirs = own ? undefined : this.options.workspaceKeys?.get(kid);
    const key: { alg: string; key: CryptoKey } | undefined = own ? { alg: own.alg, key: own.publicKey } : theirs;
    // The algorithm is the key's own, never the header's choice: no `none`, no HS*, no confusion.
    if (!key || alg !== key.alg) throw new UnauthenticatedError(INVALID);
    const { payload } = await jwtVerify(jwt, key.key, {
      algorithms: [key.alg],
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(this.now()),
      ...(own ? { issuer: ISSUER } : {}),
    });
    const workspaceId = own ? payload.workspace_id : theirs!.workspaceId;
    if (typeof workspaceId !== 'string' || (theirs && payload.workspace_id !== undefined && payload.workspace_id !== workspaceId)) {
      throw new UnauthenticatedError(INVALID);
    }
    return this.principalOf(workspaceId, payload, theirs ? new Set(theirs.scopes) : ALL_REACH);
  }

  /** `grantable`: what the signer may grant (everything for the service's own keys, which checked the issuing API key). */
  private principalOf(workspaceId: string, payload: JWTPayload, grantable: ReadonlySet<string>): UserPrincipal & { expiresAtMs: number } {
    const expiresAtMs = payload.exp! * 1000;
    // A token that lives longer than USER_TOKEN_MAX_TTL is refused, whoever signed it.
    if (expiresAtMs > this.now() + (this.options.maxTtlSeconds + CLOCK_TOLERANCE_S) * 1000) throw new UnauthenticatedError(INVALID);
    if (typeof payload.scope !== 'string') throw new UnauthenticatedError(INVALID);
    const parsed = parseUserScope(payload.scope);
    if ('problem' in parsed) throw new UnauthenticatedError(INVALID);
    const { userIds, read, write } = parsed.scope;
    // An optional `reach` claim narrows the token further; it can never widen it.
    const claimed = payload[REACH_CLAIM];
    if (claimed !== undefined && !(Array.isArray(claimed) && claimed.every(isUserTokenScope))) throw new UnauthenticatedError(INVALID);
    const narrowed = claimed === undefined ? grantable : new Set(claimed.filter((s) => grantable.has(s)));
    const reach = new Set(userTokenReach(parsed.scope, narrowed).reach);
    const keyId = createHash('sha256').update(`user:${workspaceId}:${userIds.join('\n')}`).digest('hex').slice(0, 16);
    return { kind: 'user', workspaceId, userIds: new Set(userIds), read, write, reach, keyId, expiresAtMs };
  }
}
