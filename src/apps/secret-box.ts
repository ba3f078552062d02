import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The one place that encrypts or decrypts credential key material: AES-256-GCM (Node's
 * crypto) with a key ring from CREDENTIALS_KEYS (`id:base64key,...`). The first key encrypts;
 * every key decrypts, so a new key goes first and `npm run admin -- credentials rekey`
 * re-encrypts everything under it before an old key is retired. Each ciphertext is bound to
 * its workspace and credential id as associated data: copied onto another credential's
 * document, it no longer decrypts.
 */
export type Sealed = { key_id: string; iv: string; ciphertext: string; tag: string };

const KEY_BYTES = 32;
const IV_BYTES = 12;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export class SecretBoxError extends Error {}

export class SecretBox {
  private constructor(private readonly keys: ReadonlyMap<string, Buffer>, private readonly current: string) {}

  /** Parses CREDENTIALS_KEYS; answers the problems (never the key material) when it can't. */
  static parse(text: string): { box: SecretBox } | { problems: string[] } {
    const problems: string[] = [];
    const keys = new Map<string, Buffer>();
    const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
    if (entries.length === 0) problems.push('needs at least one id:base64key pair');
    entries.forEach((entry, index) => {
      const colon = entry.indexOf(':');
      const id = entry.slice(0, colon);
      const key = Buffer.from(entry.slice(colon + 1), 'base64');
      if (colon < 1 || !KEY_ID.test(id)) problems.push(`entry ${index + 1}: the id must be 1-32 of A-Z a-z 0-9 _ - before a colon`);
      else if (key.length !== KEY_BYTES) problems.push(`entry ${index + 1} (${id}): the key must be ${KEY_BYTES} bytes, base64-encoded`);
      else if (keys.has(id)) problems.push(`entry ${index + 1}: the id ${id} appears twice`);
      else keys.set(id, key);
    });
    return problems.length > 0 ? { problems } : { box: new SecretBox(keys, keys.keys().next().value!) };
  }

  /** A new CREDENTIALS_KEYS entry (`npm run admin -- credentials new-key`). */
  static newKeyEntry(id: string): string {
    return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
  }

  get currentKeyId(): string {
    return this.current;
  }

  seal(plaintext: string, context: readonly string[]): Sealed {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.current)!, iv);
    cipher.setAAD(associatedData(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { key_id: this.current, iv: iv.toString('base64'), ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
  }

  /** Throws SecretBoxError, naming only the key id, when no configured key opens it. */
  open(sealed: Sealed, context: readonly string[]): string {
    const key = this.keys.get(sealed.key_id);
    if (!key) throw new SecretBoxError(`encrypted with key ${sealed.key_id}, which is not in CREDENTIALS_KEYS`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(associatedData(context));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(`does not decrypt with key ${sealed.key_id} for this credential (altered, or moved from another)`);
    }
  }
}

/** Unambiguous: each part is length-prefixed, so ("a", "bc") and ("ab", "c") differ. */
function associatedData(context: readonly string[]): Buffer {
  return Buffer.from(context.map((part) => `${Buffer.byteLength(part)}:${part}`).join('|'));
}
