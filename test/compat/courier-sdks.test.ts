import type { AddressInfo } from 'node:net';
import { createECDH, randomBytes } from 'node:crypto';
import Courier from '@trycourier/courier';
import { CourierClient } from '@trycourier/courier-js';
import { createTestApp, KEY_A, type TestApp } from '../support/test-app';

/**
 * Courier's own SDKs, unmodified, pointed at this service by changing only the base URL: the
 * proof that a Courier customer can switch. @trycourier/courier is the server SDK a backend
 * uses; @trycourier/courier-js is the client SDK that web (and, underneath, the React Native
 * and Flutter) apps use with a user token.
 */
let t: TestApp;
let baseURL: string;
let courier: Courier;
beforeAll(async () => {
  t = await createTestApp();
  await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', () => resolve()));
  baseURL = `http://127.0.0.1:${(t.server.address() as AddressInfo).port}`;
  courier = new Courier({ apiKey: KEY_A, baseURL, maxRetries: 0 });
});
afterAll(async () => {
  t.server.closeAllConnections();
  await new Promise((resolve) => t.server.close(resolve));
  await t.close();
});

describe('@trycourier/courier (server SDK) with baseURL', () => {
  it('users.tokens.addSingle registers a Web Push subscription: the SDK URL-encodes the endpoint, the keys pass in the body', async () => {
    const browser = createECDH('prime256v1');
    browser.generateKeys();
    const endpoint = `https://fcm.googleapis.com/fcm/send/sdk:APA91b${randomBytes(24).toString('base64url')}`;
    const keys = { p256dh: browser.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
    // Courier's types know four provider keys and no keys field; the request is sent as given.
    await courier.users.tokens.addSingle(endpoint, { user_id: 'sdk-web', provider_key: 'webpush', keys } as unknown as Parameters<typeof courier.users.tokens.addSingle>[1]);
    expect(await courier.users.tokens.retrieve(endpoint, { user_id: 'sdk-web' })).toMatchObject({ token: endpoint, provider_key: 'webpush', keys, status: 'active' });
    await courier.users.tokens.delete(endpoint, { user_id: 'sdk-web' });
    expect(await t.model.countDocuments({ token: endpoint })).toBe(0);
  });

  it('users.tokens.addSingle accepts null for device fields, tracking and expiry_date, as the SDK’s types allow', async () => {
    await courier.users.tokens.addSingle('sdk-token-1', {
      user_id: 'sdk-user',
      provider_key: 'firebase-fcm',
      device: { app_id: 'com.example.app', device_id: 'dev-1', platform: 'android', model: null, manufacturer: null, ad_id: null },
      tracking: null,
      expiry_date: null,
      properties: { plan: 'pro' },
    });
    const stored = await courier.users.tokens.retrieve('sdk-token-1', { user_id: 'sdk-user' });
    expect(stored).toMatchObject({
      token: 'sdk-token-1',
      provider_key: 'firebase-fcm',
      status: 'active',
      device: { app_id: 'com.example.app', device_id: 'dev-1', platform: 'android' },
      tracking: null,
      properties: { plan: 'pro' },
    });
    expect(stored.device).not.toHaveProperty('model');
    // null meant "the default expiry", not "never".
    expect(typeof stored.expiry_date).toBe('string');
  });

  it('expiry_date: true means the default expiry, false never expires, and tracking fields may be null', async () => {
    await courier.users.tokens.addSingle('sdk-token-2', { user_id: 'sdk-user', provider_key: 'apn', expiry_date: true, tracking: { os_version: '17.2', ip: null, lat: null, long: null } });
    await courier.users.tokens.addSingle('ExponentPushToken[sdk-token-3]', { user_id: 'sdk-user', provider_key: 'expo', expiry_date: false, device: null });
    const two = await courier.users.tokens.retrieve('sdk-token-2', { user_id: 'sdk-user' });
    const three = await courier.users.tokens.retrieve('ExponentPushToken[sdk-token-3]', { user_id: 'sdk-user' });
    expect(Date.parse(two.expiry_date as string)).toBeGreaterThan(Date.now() + 30 * 86_400_000);
    expect(two.tracking).toEqual({ os_version: '17.2' });
    expect(three.expiry_date).toBe(false);
  });

  it('users.tokens.addMultiple, list, update (JSON Patch) and delete', async () => {
    await courier.users.tokens.addMultiple('sdk-multi', {
      body: { tokens: [{ token: 'sdk-m1', provider_key: 'apn' }, { token: 'sdk-m2', provider_key: 'firebase-fcm', device: null, tracking: null }] },
    });
    const listed = await courier.users.tokens.list('sdk-multi');
    expect(listed.tokens.map((token) => token.token).sort()).toEqual(['sdk-m1', 'sdk-m2']);
    await courier.users.tokens.update('sdk-m1', { user_id: 'sdk-multi', patch: [{ op: 'replace', path: '/status', value: 'revoked' }] });
    expect((await courier.users.tokens.retrieve('sdk-m1', { user_id: 'sdk-multi' })).status).toBe('revoked');
    await courier.users.tokens.delete('sdk-m2', { user_id: 'sdk-multi' });
    await expect(courier.users.tokens.retrieve('sdk-m2', { user_id: 'sdk-multi' })).rejects.toMatchObject({ status: 404 });
  });

  it('auth.issueToken answers a JWT, and send.message answers a requestId', async () => {
    const { token } = await courier.auth.issueToken({ scope: 'user_id:sdk-user read:user-tokens write:user-tokens', expires_in: '2 hours' });
    expect(token.split('.')).toHaveLength(3);
    const first = await courier.send.message({ message: { to: { user_id: 'sdk-user' }, content: { title: 'Hello', body: 'World' } } });
    const second = await courier.send.message({ message: { to: { user_id: 'sdk-user' }, content: { title: 'Again', body: '' } } });
    expect(first.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.requestId).not.toBe(first.requestId);
  });

  it('errors arrive as the SDK’s typed errors', async () => {
    await expect(courier.users.tokens.addSingle('sdk-bad', { user_id: 'sdk-user', provider_key: 'pigeon' as never })).rejects.toMatchObject({ status: 400 });
    const wrongKey = new Courier({ apiKey: 'sk_wrong_0123456789', baseURL, maxRetries: 0 });
    await expect(wrongKey.users.tokens.list('sdk-user')).rejects.toMatchObject({ status: 401 });
  });
});

describe('@trycourier/courier-js (client SDK) with an issued JWT and apiUrls', () => {
  it('CourierClient.tokens.putUserToken and deleteUserToken work for the token’s own user, and not for another', async () => {
    const { token: jwt } = await courier.auth.issueToken({ scope: 'user_id:web-user write:user-tokens', expires_in: '1h' });
    const apiUrls = { courier: { rest: baseURL, graphql: `${baseURL}/client/q` }, inbox: { graphql: `${baseURL}/client/q`, webSocket: 'ws://127.0.0.1:9' } };
    const client = new CourierClient({ userId: 'web-user', jwt, apiUrls });
    await client.tokens.putUserToken({
      token: 'fcm-web:APA91b-browser-token',
      provider: 'firebase-fcm',
      device: { appId: 'com.example.web', deviceId: 'browser-1', platform: 'web', model: 'Chrome' },
    });
    const stored = await courier.users.tokens.retrieve('fcm-web:APA91b-browser-token', { user_id: 'web-user' });
    expect(stored).toMatchObject({ provider_key: 'firebase-fcm', device: { app_id: 'com.example.web', device_id: 'browser-1', platform: 'web', model: 'Chrome' } });
    await client.tokens.deleteUserToken({ token: 'fcm-web:APA91b-browser-token' });
    await expect(courier.users.tokens.retrieve('fcm-web:APA91b-browser-token', { user_id: 'web-user' })).rejects.toMatchObject({ status: 404 });

    const impostor = new CourierClient({ userId: 'someone-else', jwt, apiUrls });
    await expect(impostor.tokens.putUserToken({ token: 'stolen-token', provider: 'apn' })).rejects.toMatchObject({ code: 403 });
  });
});
