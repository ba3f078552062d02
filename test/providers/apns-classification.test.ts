import { classifyApns, type ApnsAnswer } from '../../src/providers/apns-classification';

/** One row per row of ../shared/reference/provider-errors.md (APNs). */
const rows: [ApnsAnswer, string, string | undefined][] = [
  [{ status: 200 }, 'delivered', undefined],
  [{ status: 410, reason: 'Unregistered', timestamp: 1_700_000_000_000 }, 'invalid', 'apns:Unregistered'],
  [{ status: 410, reason: 'ExpiredToken' }, 'invalid', 'apns:ExpiredToken'],
  [{ status: 400, reason: 'BadDeviceToken' }, 'invalid', 'apns:BadDeviceToken'],
  [{ status: 400, reason: 'DeviceTokenNotForTopic' }, 'rejected', 'apns:DeviceTokenNotForTopic'],
  ...['BadTopic', 'MissingTopic', 'TopicDisallowed', 'PayloadEmpty', 'BadPriority', 'BadExpirationDate', 'BadCollapseId', 'BadMessageId', 'InvalidPushType', 'MissingDeviceToken', 'DuplicateHeaders', 'BadPath'].map(
    (reason): [ApnsAnswer, string, string] => [{ status: 400, reason }, 'rejected', `apns:${reason}`],
  ),
  ...['BadCertificate', 'BadCertificateEnvironment', 'InvalidProviderToken', 'MissingProviderToken', 'Forbidden'].map(
    (reason): [ApnsAnswer, string, string] => [{ status: 403, reason }, 'rejected', `apns:${reason}`],
  ),
  [{ status: 403, reason: 'ExpiredProviderToken' }, 'retryable', 'apns:ExpiredProviderToken'],
  [{ status: 405, reason: 'MethodNotAllowed' }, 'rejected', 'apns:MethodNotAllowed'],
  [{ status: 413, reason: 'PayloadTooLarge' }, 'rejected', 'apns:PayloadTooLarge'],
  [{ status: 429, reason: 'TooManyRequests' }, 'retryable', 'apns:TooManyRequests'],
  [{ status: 429, reason: 'TooManyProviderTokenUpdates' }, 'rejected', 'apns:TooManyProviderTokenUpdates'],
  [{ status: 500, reason: 'InternalServerError' }, 'retryable', 'apns:InternalServerError'],
  [{ status: 500 }, 'retryable', 'apns:500'],
  [{ status: 503, reason: 'ServiceUnavailable' }, 'retryable', 'apns:ServiceUnavailable'],
  [{ status: 503, reason: 'Shutdown' }, 'retryable', 'apns:Shutdown'],
  [{}, 'retryable', 'apns:no status'],
  // An answer nobody documented must never cost a live token.
  [{ status: 400, reason: 'SomethingNew' }, 'rejected', 'apns:SomethingNew'],
  [{ status: 410, reason: 'SomethingNew' }, 'rejected', 'apns:SomethingNew'],
];

describe('classifyApns', () => {
  it.each(rows)('%j → %s (%s)', (answer, outcome, reason) => {
    const result = classifyApns(answer);
    expect(result.outcome).toBe(outcome);
    expect(result.reason).toBe(reason);
  });

  it('carries the 410 timestamp as invalidSince', () => {
    expect(classifyApns({ status: 410, reason: 'Unregistered', timestamp: 1_700_000_000_000 }).invalidSince).toEqual(new Date(1_700_000_000_000));
    expect(classifyApns({ status: 410, reason: 'Unregistered' }).invalidSince).toBeUndefined();
  });
});
