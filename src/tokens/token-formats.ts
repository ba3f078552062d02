import { Expo } from 'expo-server-sdk';
import { isEndpointToken } from './token-fields';
import { DEFAULT_ENDPOINT_POLICY, endpointProblem, type EndpointPolicy } from './webpush-endpoint';

/**
 * Token formats a provider defines, checked at registration so that a token that could never
 * be delivered is refused with a 400 rather than stored. Expo: what the Expo SDK itself accepts
 * (`ExponentPushToken[…]`, `ExpoPushToken[…]`, or a bare UUID). OneSignal: a subscription id,
 * which is a UUID. Web Push: an endpoint on an allowed push service (webpush-endpoint.ts), and
 * only Web Push tokens are URLs. APNs and FCM tokens are checked only by the shared token rules
 * (an APNs token that is not hexadecimal is refused at send time, as it always was).
 */
/** A UUID, any version, either case: OneSignal's ids (subscriptions and apps). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isOneSignalSubscriptionId = (token: string): boolean => UUID_PATTERN.test(token);

export function tokenFormatProblem(providerKey: string, token: string, endpoints: EndpointPolicy = DEFAULT_ENDPOINT_POLICY): string | undefined {
  if (providerKey === 'webpush') return isEndpointToken(token) ? endpointProblem(token, endpoints) : 'is not a Web Push endpoint (the subscription\'s https URL)';
  if (isEndpointToken(token)) return 'is a URL: only webpush tokens (Web Push endpoints) are URLs';
  if (providerKey === 'expo' && !Expo.isExpoPushToken(token)) return 'is not an Expo push token (ExponentPushToken[…])';
  if (providerKey === 'onesignal' && !isOneSignalSubscriptionId(token)) return 'is not a OneSignal subscription id (a UUID)';
  return undefined;
}
