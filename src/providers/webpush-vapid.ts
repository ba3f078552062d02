import { createECDH } from 'node:crypto';
import webpush from 'web-push';

/**
 * VAPID keys (RFC 8292), checked offline as they arrive (the WEBPUSH_VAPID_* variables, PUT
 * /credentials, the admin CLI), so a malformed or mismatched pair is refused at once, with a
 * message that never quotes the key. web-push signs with them; these checks are its own rules
 * (65-byte public point, 32-byte private scalar, a mailto: or https: subject) plus one it lacks:
 * the public key must be the private key's, or every push service would answer 401/403.
 */
export type VapidProblem = { field: 'publicKey' | 'privateKey' | 'subject'; message: string };

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function vapidProblems(keys: { publicKey: string; privateKey: string; subject: string }): VapidProblem[] {
  const problems: VapidProblem[] = [];
  const publicBytes = BASE64URL.test(keys.publicKey) ? Buffer.from(keys.publicKey, 'base64url') : undefined;
  const privateBytes = BASE64URL.test(keys.privateKey) ? Buffer.from(keys.privateKey, 'base64url') : undefined;
  if (!publicBytes || publicBytes.length !== 65 || publicBytes[0] !== 0x04) problems.push({ field: 'publicKey', message: 'must be a VAPID public key: base64url of an uncompressed P-256 point (65 bytes)' });
  if (!privateBytes || privateBytes.length !== 32) problems.push({ field: 'privateKey', message: 'must be a VAPID private key: base64url of 32 bytes' });
  if (!/^(mailto:.+|https:\/\/.+)$/.test(keys.subject)) problems.push({ field: 'subject', message: 'must be a mailto: or https: URL that push services can contact you at' });
  if (problems.some((p) => p.field !== 'subject')) return problems;
  try {
    // node:crypto derives the public point from the private scalar.
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(privateBytes!);
    if (!ecdh.getPublicKey().equals(publicBytes!)) problems.push({ field: 'publicKey', message: 'is not the public key of this private key' });
  } catch {
    problems.push({ field: 'privateKey', message: 'is not a valid P-256 private key' });
  }
  return problems;
}

/** A new VAPID key pair, from web-push (`npm run admin -- credentials new-vapid`). */
export function generateVapidKeys(): { publicKey: string; privateKey: string } {
  return webpush.generateVAPIDKeys();
}
