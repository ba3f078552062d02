import { createPrivateKey } from 'node:crypto';

/**
 * Key material checked offline, as it arrives (PUT /credentials, the admin CLI, the instance's
 * key files), so a malformed key is refused at once with a message that never quotes it.
 */
export function privateKeyProblem(pem: string, expected: 'p256' | 'rsa'): string | undefined {
  try {
    const key = createPrivateKey(pem);
    if (expected === 'p256') {
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return 'must be a P-256 (ES256) private key, as Apple issues in a .p8 file';
    } else if (key.asymmetricKeyType !== 'rsa') {
      return 'must be an RSA private key, as in a Firebase service account';
    }
    return undefined;
  } catch {
    return expected === 'p256' ? 'must be the PEM text of the .p8 file Apple issued' : 'must be a PEM RSA private key';
  }
}

/** A credential id, as PUT /credentials/:credential_id and PUT /apps name it. */
export const CREDENTIAL_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
