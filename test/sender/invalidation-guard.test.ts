import type { DeliveryResult } from '../../src/providers/provider';
import { findMassInvalidations, heldResult, heldText, type GuardedResult } from '../../src/sender/invalidation-guard';
import type { ProviderKey } from '../../src/tokens/token-fields';

const policy = { minTokens: 20, maxShare: 0.5 };
function send(provider: ProviderKey, total: number, dead: number, reason: string): GuardedResult[] {
  return Array.from({ length: total }, (_, i) => ({
    provider,
    result: (i < dead ? { token: `${provider}-${i}`, outcome: 'invalid', reason } : { token: `${provider}-${i}`, outcome: 'delivered' }) as DeliveryResult,
  }));
}

describe('findMassInvalidations', () => {
  it.each([
    ['a real 10% dead share goes through', send('firebase-fcm', 50, 5, 'fcm:UNREGISTERED'), []],
    ['100% BadDeviceToken of 50 (sandbox tokens sent to production) is held', send('apn', 50, 50, 'apns:BadDeviceToken'), [{ provider: 'apn', reason: 'apns:BadDeviceToken', count: 50, total: 50 }]],
    ['100% UNREGISTERED of 50 is held', send('firebase-fcm', 50, 50, 'fcm:UNREGISTERED'), [{ provider: 'firebase-fcm', reason: 'fcm:UNREGISTERED', count: 50, total: 50 }]],
    ['just over the share is held', send('firebase-fcm', 40, 21, 'fcm:INVALID_ARGUMENT'), [{ provider: 'firebase-fcm', reason: 'fcm:INVALID_ARGUMENT', count: 21, total: 40 }]],
    ['exactly the share goes through', send('firebase-fcm', 40, 20, 'fcm:INVALID_ARGUMENT'), []],
    ['too few tokens to judge: 19 of 19 go through', send('apn', 19, 19, 'apns:BadDeviceToken'), []],
    ['APNs 410 Unregistered is Apple’s own statement: never held', send('apn', 50, 50, 'apns:Unregistered'), []],
    ['APNs 410 ExpiredToken: never held', send('apn', 50, 50, 'apns:ExpiredToken'), []],
    ['100% Expo DeviceNotRegistered of 50 (expo/expo#1745) is held', send('expo', 50, 50, 'expo:DeviceNotRegistered'), [{ provider: 'expo', reason: 'expo:DeviceNotRegistered', count: 50, total: 50 }]],
    ['a stored text that is not an Expo token is a local fact: never held', send('expo', 50, 50, 'expo:malformed_token'), []],
    [
      'judged per provider: 50 dead FCM of 50 is held even beside 200 delivered APNs',
      [...send('apn', 200, 0, 'x'), ...send('firebase-fcm', 50, 50, 'fcm:UNREGISTERED')],
      [{ provider: 'firebase-fcm', reason: 'fcm:UNREGISTERED', count: 50, total: 50 }],
    ],
    [
      'judged per reason: two reasons at 40% each go through',
      [...send('firebase-fcm', 50, 20, 'fcm:UNREGISTERED').slice(0, 20), ...send('firebase-fcm', 50, 20, 'fcm:INVALID_ARGUMENT').slice(0, 20), ...send('firebase-fcm', 10, 0, 'x')],
      [],
    ],
  ])('%s', (_name, results, expected) => {
    expect(findMassInvalidations(results, policy)).toEqual(expected);
  });

  it('a held result is rejected, keeps its code, and says how many said the same', () => {
    const held = heldResult({ token: 't', outcome: 'invalid', reason: 'apns:BadDeviceToken' }, { provider: 'apn', reason: 'apns:BadDeviceToken', count: 50, total: 50 });
    expect(held).toEqual({ token: 't', outcome: 'rejected', reason: 'apns:BadDeviceToken', held: { count: 50, total: 50 } });
    expect(heldText(held.held!)).toMatch(/^held: 50 of 50 tokens \(100%\)/);
  });
});
