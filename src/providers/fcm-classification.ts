import type { Classification } from './apns-classification';

/**
 * FCM answers → outcomes, per ../shared/reference/provider-errors.md (FCM HTTP v1 ErrorCode,
 * firebase-admin error codes). firebase-admin turns FCM's `details[].errorCode` into
 * `messaging/...` codes; we classify on those codes, not on message text, with one documented
 * exception: INVALID_ARGUMENT about the token differs from one about our payload only in the
 * message, so that one case reads the message, and defaults to "not the token" when unsure.
 */
export type FcmAnswer = { success: true } | { success: false; code?: string; message?: string };

/** The FCM error text for a malformed token ("The registration token is not a valid FCM registration token"). */
const TOKEN_NOT_VALID = /registration token is not a valid FCM registration token/i;

const CODE_TO_REASON: Record<string, string> = {
  'messaging/registration-token-not-registered': 'UNREGISTERED',
  'messaging/invalid-registration-token': 'INVALID_ARGUMENT',
  'messaging/invalid-argument': 'INVALID_ARGUMENT',
  'messaging/mismatched-credential': 'SENDER_ID_MISMATCH',
  'messaging/message-rate-exceeded': 'QUOTA_EXCEEDED',
  'messaging/device-message-rate-exceeded': 'QUOTA_EXCEEDED',
  'messaging/server-unavailable': 'UNAVAILABLE',
  'messaging/internal-error': 'INTERNAL',
  'messaging/third-party-auth-error': 'THIRD_PARTY_AUTH_ERROR',
  'messaging/unknown-error': 'UNSPECIFIED_ERROR',
  'messaging/invalid-payload': 'INVALID_ARGUMENT',
  'messaging/payload-size-limit-exceeded': 'INVALID_ARGUMENT',
  'messaging/invalid-data-payload-key': 'INVALID_ARGUMENT',
  'messaging/invalid-credential': 'INVALID_CREDENTIAL',
  'app/invalid-credential': 'INVALID_CREDENTIAL',
  'app/network-error': 'NETWORK_ERROR',
  'app/network-timeout': 'NETWORK_ERROR',
};

export function classifyFcm(answer: FcmAnswer): Classification {
  if (answer.success) return { outcome: 'delivered' };
  const code = answer.code ?? 'messaging/unknown-error';
  const reasonCode = CODE_TO_REASON[code] ?? code.replace(/^[a-z]+\//, '');
  const reason = `fcm:${reasonCode}` as const;
  switch (code) {
    case 'messaging/registration-token-not-registered':
    case 'messaging/invalid-registration-token':
      return { outcome: 'invalid', reason };
    case 'messaging/invalid-argument':
      return TOKEN_NOT_VALID.test(answer.message ?? '') ? { outcome: 'invalid', reason } : { outcome: 'rejected', reason };
    case 'messaging/message-rate-exceeded':
    case 'messaging/device-message-rate-exceeded':
    case 'messaging/server-unavailable':
    case 'messaging/internal-error':
    case 'messaging/unknown-error':
    case 'app/network-error':
    case 'app/network-timeout':
      return { outcome: 'retryable', reason };
    default:
      // Credentials (THIRD_PARTY_AUTH_ERROR, invalid credential), payload errors, a token of
      // another Firebase project than the credential we sent with (SENDER_ID_MISMATCH, a
      // routing error of ours), anything new: never the token's fault.
      return { outcome: 'rejected', reason };
  }
}
