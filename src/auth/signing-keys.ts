import { existsSync, readFileSync } from 'node:fs';
import { createFileOnce } from '../create-once';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/**
 * The service's key ring for user tokens: private keys as a JWK set, each with a `kid`. The
 * first key signs; every key verifies, so a new key is put first and an old one stays until
 * every token it signed has expired (docs/api.md, "Key rotation"). Every replica is given the
 * same set (USER_TOKEN_SIGNING_KEYS_FILE), so each verifies the others' tokens. Only ES256 and
 * EdDSA (Ed25519): asymmetric, so the public half can be published at /.well-known/jwks.json.
 */
export type SigningAlgorithm = 'ES256' | 'EdDSA';
export type SigningKey = { kid: string; alg: SigningAlgorithm; privateKey: CryptoKey; publicKey: CryptoKey; publicJwk: JWK };

export class SigningKeyError extends Error {}

function algorithmOf(jwk: JWK): SigningAlgorithm | undefined {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

export class SigningKeyRing {
  private constructor(readonly keys: readonly SigningKey[]) {}

  /** Reads a JWK set of private keys; `source` names it in errors (never the key material). */
  static async fromJwks(json: unknown, source: string): Promise<SigningKeyRing> {
    const list = Array.isArray(json) ? json : (json as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(list) || list.length === 0) throw new SigningKeyError(`${source} must be a JWK set: {"keys": [private JWKs]}`);
    const keys: SigningKey[] = [];
    for (const [index, entry] of list.entries()) {
      const jwk = entry as JWK;
      const alg = algorithmOf(jwk);
      const where = `${source}: key ${index + 1}`;
      if (typeof jwk.kid !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(jwk.kid)) throw new SigningKeyError(`${where} needs a kid of 1-64 of A-Z a-z 0-9 _ . -`);
      if (!alg) throw new SigningKeyError(`${where} must be an EC P-256 (ES256) or OKP Ed25519 (EdDSA) key`);
      if (jwk.alg !== undefined && jwk.alg !== alg) throw new SigningKeyError(`${where} says alg ${jwk.alg}, but it is a ${alg} key`);
      if (typeof jwk.d !== 'string') throw new SigningKeyError(`${where} is a public key; the service needs the private key to sign`);
      if (keys.some((k) => k.kid === jwk.kid)) throw new SigningKeyError(`${where}: the kid ${jwk.kid} appears twice`);
      const { d: _private, ...publicPart } = jwk;
      let privateKey: CryptoKey;
      let publicKey: CryptoKey;
      try {
        privateKey = (await importJWK({ ...jwk, alg }, alg)) as CryptoKey;
        publicKey = (await importJWK({ ...publicPart, alg }, alg)) as CryptoKey;
      } catch {
        throw new SigningKeyError(`${where} is not a valid ${alg} key`);
      }
      keys.push({ kid: jwk.kid, alg, privateKey, publicKey, publicJwk: { kty: publicPart.kty, crv: publicPart.crv, x: publicPart.x, ...(publicPart.y ? { y: publicPart.y } : {}), kid: jwk.kid, alg, use: 'sig' } });
    }
    return new SigningKeyRing(keys);
  }

  static async readFile(file: string): Promise<SigningKeyRing> {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new SigningKeyError(`USER_TOKEN_SIGNING_KEYS_FILE ${file} could not be read as JSON: ${(error as NodeJS.ErrnoException).code ?? 'invalid JSON'}`);
    }
    return SigningKeyRing.fromJwks(json, `USER_TOKEN_SIGNING_KEYS_FILE ${file}`);
  }

  get signer(): SigningKey {
    return this.keys[0]!;
  }

  find(kid: string): SigningKey | undefined {
    return this.keys.find((key) => key.kid === kid);
  }

  publicJwks(): { keys: JWK[] } {
    return { keys: this.keys.map((key) => key.publicJwk) };
  }
}

/** A new private key as a JWK, for a key file or for rotation (`npm run admin -- signing-keys create`). */
export async function newSigningJwk(alg: SigningAlgorithm = 'ES256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `k-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`, alg, use: 'sig' };
}

/**
 * The development setup's key ring: kept with the embedded database's data, created on first
 * use (readable by its owner only), so tokens survive restarts as the data does.
 */
export async function developmentSigningKeys(dataDir: string): Promise<SigningKeyRing> {
  const file = path.join(dataDir, 'user-token-signing-keys.json');
  if (!existsSync(file)) {
    const jwk = await newSigningJwk();
    createFileOnce(file, () => `${JSON.stringify({ keys: [jwk] }, null, 2)}\n`);
  }
  return SigningKeyRing.readFile(file);
}
