import { isCredentialRefusal } from '../../src/providers/reason';

/** Which provider answers mean "our credential was refused" (the webhooks' delivery.held), as a table. */
it.each<[string, boolean]>([
  ['apns:InvalidProviderToken', true],
  ['apns:BadCertificate', true],
  ['apns:BadCertificateEnvironment', true],
  ['apns:Forbidden', true],
  ['apns:TooManyProviderTokenUpdates', true],
  ['apns:Unregistered', false],
  ['apns:BadTopic', false],
  ['apns:ExpiredProviderToken', false],
  ['fcm:THIRD_PARTY_AUTH_ERROR', true],
  ['fcm:INVALID_CREDENTIAL', true],
  ['fcm:SENDER_ID_MISMATCH', true],
  ['fcm:UNREGISTERED', false],
  ['fcm:QUOTA_EXCEEDED', false],
  ['expo:InvalidCredentials', true],
  ['expo:http_401', true],
  ['expo:DeviceNotRegistered', false],
  ['onesignal:access_denied', true],
  ['onesignal:unsubscribed', false],
  ['no_credentials', false],
])('%s: %s', (code, refused) => {
  expect(isCredentialRefusal(code)).toBe(refused);
});
