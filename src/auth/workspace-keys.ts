import { readFileSync } from 'node:fs';
import { importJWK, importSPKI, type CryptoKey, type JWK } from 'jose';
import { SigningKeyError } from './signing-keys';
import { isUserTokenScope, USER_TOKEN_SCOPES, type UserTokenScope } from './user-scope';

/**
 * Public keys with which a workspace's own backend signs user tokens itself, with no round
 * trip to /auth/issue-token (as Knock's enhanced security mode does). WORKSPACE_JWT_KEYS_FILE:
 *
 *   { "ws_demo": [ {"kid": "backend-2026", "alg": "RS256", "jwk": {…public JWK…}},
 *                  {"kid": "backend-ec", "alg": "ES256", "pem": "-----BEGIN PUBLIC KEY-----…"} ] }
 *
 * An entry may add `"scopes": ["tokens:read", "tokens:write"]`: the most a token signed with
 * it can reach (of tokens:read, tokens:write, devices:read, devices:write; all four when
 * absent), as an API key's scopes bound the tokens it issues. The token's own `scope` (and an
 * optional `reach` claim) narrow it further.
 *
 * Only RS256, ES256 and EdDSA; never HS* (a shared secret would be a signing key in our
 * hands) and never `none`. Each kid names one key of one workspace: a token signed with it
 * acts for that workspace only.
 */
export const WORKSPACE_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type WorkspaceAlgorithm = (typeof WORKSPACE_ALGORITHMS)[number];
export type WorkspaceKey = { kid: string; workspaceId: string; alg: WorkspaceAlgorithm; key: CryptoKey; scopes: readonly UserTokenScope[] };

export async function readWorkspaceKeys(json: unknown, source: string, reservedKids: readonly string[] = []): Promise<Map<string, WorkspaceKey>> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new SigningKeyError(`${source} must map workspace ids to lists of keys`);
  const keys = new Map<string, WorkspaceKey>();
  for (const [workspaceId, list] of Object.entries(json as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw new SigningKeyError(`${source}: ${workspaceId} must be a list of keys`);
    for (const [index, entry] of list.entries()) {
      const where = `${source}: ${workspaceId} key ${index + 1}`;
      const { kid, alg, jwk, pem, scopes } = (entry ?? {}) as { kid?: unknown; alg?: unknown; jwk?: JWK; pem?: unknown; scopes?: unknown };
      if (scopes !== undefined && !(Array.isArray(scopes) && scopes.length > 0 && scopes.every(isUserTokenScope))) {
        throw new SigningKeyError(`${where}: scopes must be a non-empty list of ${USER_TOKEN_SCOPES.join(', ')}`);
      }
      if (typeof kid !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(kid)) throw new SigningKeyError(`${where} needs a kid of 1-64 of A-Z a-z 0-9 _ . -`);
      if (keys.has(kid) || reservedKids.includes(kid)) throw new SigningKeyError(`${where}: the kid ${kid} is already in use; kids must be unique`);
      if (!WORKSPACE_ALGORITHMS.includes(alg as WorkspaceAlgorithm)) throw new SigningKeyError(`${where}: alg must be one of ${WORKSPACE_ALGORITHMS.join(', ')}`);
      if ((jwk === undefined) === (pem === undefined)) throw new SigningKeyError(`${where} needs exactly one of jwk or pem`);
      if (jwk && typeof jwk.d === 'string') throw new SigningKeyError(`${where} holds a private key; give only the public key`);
      let key: CryptoKey;
      try {
        key = (jwk ? await importJWK(jwk, alg as string) : await importSPKI(String(pem), alg as string)) as CryptoKey;
      } catch {
        throw new SigningKeyError(`${where} is not a valid ${String(alg)} public key`);
      }
      keys.set(kid, { kid, workspaceId, alg: alg as WorkspaceAlgorithm, key, scopes: (scopes as UserTokenScope[] | undefined) ?? USER_TOKEN_SCOPES });
    }
  }
  return keys;
}

export async function readWorkspaceKeysFile(file: string, reservedKids: readonly string[]): Promise<Map<string, WorkspaceKey>> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SigningKeyError(`WORKSPACE_JWT_KEYS_FILE ${file} could not be read as JSON: ${(error as NodeJS.ErrnoException).code ?? 'invalid JSON'}`);
  }
  return readWorkspaceKeys(json, `WORKSPACE_JWT_KEYS_FILE ${file}`, reservedKids);
}
