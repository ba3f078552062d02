import { createHash, timingSafeEqual } from 'node:crypto';
import { maskSecret } from '../logger';
import type { KeyPrincipal } from './principal';
import { isScope, SCOPES, type Scope } from './scopes';
import { JWT_SHAPE } from './user-tokens';

export type ApiKey = { workspaceId: string; key: string; scopes: readonly Scope[] };

const WORKSPACE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const KEY_PATTERN = /^[A-Za-z0-9_.-]{8,256}$/;

/**
 * Parses API_KEYS: comma-separated `workspace:key` pairs, each optionally narrowed to some
 * scopes with `=scope+scope`, e.g. `ws_demo:sk_demo_123,ws_demo:sk_ro_123=tokens:read+devices:read`.
 * Returns the keys, or the list of problems (never the key text itself, which is a secret).
 */
export function parseApiKeys(text: string): { keys: ApiKey[] } | { problems: string[] } {
  const problems: string[] = [];
  const keys: ApiKey[] = [];
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) problems.push('needs at least one workspace:key pair');
  entries.forEach((entry, index) => {
    const where = `entry ${index + 1}`;
    const [pair = '', scopeText] = entry.split('=', 2);
    const colon = pair.indexOf(':');
    if (colon < 0) return problems.push(`${where} is not of the form workspace:key`);
    const workspaceId = pair.slice(0, colon);
    const key = pair.slice(colon + 1);
    if (!WORKSPACE_PATTERN.test(workspaceId)) problems.push(`${where}: workspace id must be 1-64 of A-Z a-z 0-9 _ -`);
    if (!KEY_PATTERN.test(key)) problems.push(`${where}: key must be 8-256 of A-Z a-z 0-9 _ . -`);
    // A bearer value shaped like a JWT is only ever verified as one.
    else if (JWT_SHAPE.test(key)) problems.push(`${where}: key must not look like a JWT (eyJ… with two dots)`);
    let scopes: Scope[] = [...SCOPES];
    if (scopeText !== undefined) {
      const named = scopeText.split('+').filter(Boolean);
      const unknown = named.filter((scope) => !isScope(scope));
      if (unknown.length > 0 || named.length === 0) {
        problems.push(`${where}: scopes must be some of ${SCOPES.join(', ')} joined by +`);
      }
      scopes = named.filter(isScope);
    }
    keys.push({ workspaceId, key, scopes });
  });
  const digests = new Set(keys.map((k) => k.key));
  if (digests.size !== keys.length) problems.push('the same key is listed twice');
  return problems.length > 0 ? { problems } : { keys };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Looks keys up in time that does not depend on how much of a key matched: every configured
 * key's digest is compared with timingSafeEqual, and the loop never stops early.
 */
export class ApiKeyStore {
  private readonly entries: { digest: Buffer; principal: KeyPrincipal }[];

  constructor(keys: readonly ApiKey[]) {
    this.entries = keys.map((k) => ({
      digest: digest(k.key),
      principal: {
        kind: 'api-key' as const,
        workspaceId: k.workspaceId,
        scopes: new Set(k.scopes),
        keyHint: maskSecret(k.key),
        keyId: digest(`key-id:${k.key}`).toString('hex').slice(0, 16),
      },
    }));
  }

  find(presented: string): KeyPrincipal | undefined {
    const presentedDigest = digest(presented);
    let found: KeyPrincipal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presentedDigest)) found = entry.principal;
    }
    return found;
  }
}
