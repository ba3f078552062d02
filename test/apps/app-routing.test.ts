import { routeToken, type AppsById } from '../../src/apps/app-routing';

const apps: AppsById = new Map([
  ['com.example.ios', { app_id: 'com.example.ios', apn: { credential_id: 'team-a', environment: 'auto' as const } }],
  ['com.example.widget', { app_id: 'com.example.widget', apn: { credential_id: 'team-a', topic: 'com.example.ios.widget', environment: 'production' as const } }],
  ['com.example.android', { app_id: 'com.example.android', 'firebase-fcm': { credential_id: 'project-1' } }],
  ['com.example.rn', { app_id: 'com.example.rn', expo: { credential_id: 'expo-1' }, onesignal: { credential_id: 'os-1' } }],
  ['default', { app_id: 'default', apn: { credential_id: 'team-b', environment: 'sandbox' as const }, 'firebase-fcm': { credential_id: 'project-2' } }],
]);
const onlyAndroid: AppsById = new Map([['com.example.android', { app_id: 'com.example.android', 'firebase-fcm': { credential_id: 'project-1' } }]]);
const noInstance = new Set<never>();
const instance = new Set(['apn', 'firebase-fcm'] as const);

describe('routeToken', () => {
  it.each([
    ['an APNs token of a registered app: its credential, its id as topic', { provider_key: 'apn', app_id: 'com.example.ios' }, apps, noInstance, { kind: 'app', provider: 'apn', appId: 'com.example.ios', credentialId: 'team-a', topic: 'com.example.ios', environment: 'auto' }],
    ['an app with its own topic', { provider_key: 'apn', app_id: 'com.example.widget' }, apps, noInstance, { kind: 'app', provider: 'apn', appId: 'com.example.widget', credentialId: 'team-a', topic: 'com.example.ios.widget', environment: 'production' }],
    ['an FCM token of a registered app', { provider_key: 'firebase-fcm', app_id: 'com.example.android' }, apps, noInstance, { kind: 'app', provider: 'firebase-fcm', appId: 'com.example.android', credentialId: 'project-1' }],
    ['an unregistered app: default, with the token’s app id as topic', { provider_key: 'apn', app_id: 'com.example.other' }, apps, noInstance, { kind: 'app', provider: 'apn', appId: 'default', credentialId: 'team-b', topic: 'com.example.other', environment: 'sandbox' }],
    ['a registered app without this provider: default serves it', { provider_key: 'apn', app_id: 'com.example.android' }, apps, noInstance, { kind: 'app', provider: 'apn', appId: 'default', credentialId: 'team-b', topic: 'com.example.android', environment: 'sandbox' }],
    ['no app_id: default (FCM)', { provider_key: 'firebase-fcm' }, apps, noInstance, { kind: 'app', provider: 'firebase-fcm', appId: 'default', credentialId: 'project-2' }],
    ['no app_id, APNs: default has no topic to use', { provider_key: 'apn' }, apps, noInstance, { kind: 'none', code: 'apns:no_topic', detail: expect.stringMatching(/no APNs topic/) }],
    ['no app matches, instance-wide configured: the instance', { provider_key: 'apn', app_id: 'x' }, onlyAndroid, instance, { kind: 'instance' }],
    ['no app matches, nothing instance-wide: none, naming the app', { provider_key: 'apn', app_id: 'com.example.ghost' }, onlyAndroid, noInstance, { kind: 'none', code: 'no_credentials', detail: 'com.example.ghost' }],
    ['no app_id and nothing at all', { provider_key: 'firebase-fcm' }, new Map(), noInstance, { kind: 'none', code: 'no_credentials', detail: '(none)' }],
    ['an Expo token of an app with an expo credential', { provider_key: 'expo', app_id: 'com.example.rn' }, apps, noInstance, { kind: 'app', provider: 'expo', appId: 'com.example.rn', credentialId: 'expo-1' }],
    ['a OneSignal token of an app with a onesignal credential', { provider_key: 'onesignal', app_id: 'com.example.rn' }, apps, noInstance, { kind: 'app', provider: 'onesignal', appId: 'com.example.rn', credentialId: 'os-1' }],
    ['an Expo token of an app without one: the instance-wide Expo', { provider_key: 'expo', app_id: 'com.example.ios' }, apps, new Set(['expo'] as const), { kind: 'instance' }],
    ['an Expo token, no app and Expo turned off: none', { provider_key: 'expo' }, apps, noInstance, { kind: 'none', code: 'no_credentials', detail: '(none)' }],
  ])('%s', (_name, token, table, instanceWide, expected) => {
    expect(routeToken(token as never, table, instanceWide as ReadonlySet<'apn'>)).toEqual(expected);
  });
});
