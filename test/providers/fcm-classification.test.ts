import { classifyFcm, type FcmAnswer } from '../../src/providers/fcm-classification';

/** One row per row of ../shared/reference/provider-errors.md (FCM), by firebase-admin code. */
const rows: [string, FcmAnswer, string, string | undefined][] = [
  ['success', { success: true }, 'delivered', undefined],
  ['UNREGISTERED', { success: false, code: 'messaging/registration-token-not-registered', message: 'Requested entity was not found.' }, 'invalid', 'fcm:UNREGISTERED'],
  ['INVALID_ARGUMENT about the token', { success: false, code: 'messaging/invalid-argument', message: 'The registration token is not a valid FCM registration token' }, 'invalid', 'fcm:INVALID_ARGUMENT'],
  ['INVALID_ARGUMENT about the payload', { success: false, code: 'messaging/invalid-argument', message: 'Invalid JSON payload received. Unknown name "colour"' }, 'rejected', 'fcm:INVALID_ARGUMENT'],
  ['INVALID_ARGUMENT with no message', { success: false, code: 'messaging/invalid-argument' }, 'rejected', 'fcm:INVALID_ARGUMENT'],
  ['SENDER_ID_MISMATCH', { success: false, code: 'messaging/mismatched-credential' }, 'rejected', 'fcm:SENDER_ID_MISMATCH'],
  ['QUOTA_EXCEEDED', { success: false, code: 'messaging/message-rate-exceeded' }, 'retryable', 'fcm:QUOTA_EXCEEDED'],
  ['QUOTA_EXCEEDED (device)', { success: false, code: 'messaging/device-message-rate-exceeded' }, 'retryable', 'fcm:QUOTA_EXCEEDED'],
  ['UNAVAILABLE', { success: false, code: 'messaging/server-unavailable' }, 'retryable', 'fcm:UNAVAILABLE'],
  ['INTERNAL', { success: false, code: 'messaging/internal-error' }, 'retryable', 'fcm:INTERNAL'],
  ['THIRD_PARTY_AUTH_ERROR', { success: false, code: 'messaging/third-party-auth-error' }, 'rejected', 'fcm:THIRD_PARTY_AUTH_ERROR'],
  ['UNSPECIFIED_ERROR', { success: false, code: 'messaging/unknown-error' }, 'retryable', 'fcm:UNSPECIFIED_ERROR'],
  ['our OAuth credential failed', { success: false, code: 'app/invalid-credential' }, 'rejected', 'fcm:INVALID_CREDENTIAL'],
  ['network error', { success: false, code: 'app/network-error' }, 'retryable', 'fcm:NETWORK_ERROR'],
  ['an unknown code', { success: false, code: 'messaging/something-new' }, 'rejected', 'fcm:something-new'],
];

describe('classifyFcm', () => {
  it.each(rows)('%s → %s', (_name, answer, outcome, reason) => {
    const result = classifyFcm(answer);
    expect(result.outcome).toBe(outcome);
    expect(result.reason).toBe(reason);
  });
});
