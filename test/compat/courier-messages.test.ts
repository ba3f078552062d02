import type { AddressInfo } from 'node:net';
import Courier from '@trycourier/courier';
import { CourierClient } from '@trycourier/courier-js';
import { createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../support/test-app';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { apnsToken } from '../support/tokens';

/**
 * Courier's official SDKs, unmodified, on the message log (issue 19): send.message with a
 * delay then messages.cancel; send.message then messages.retrieve, history and list with
 * filters; and courier-js posting the push's trackingUrl, as an app does when it is opened.
 */
let sims: SimulatedProviders;
let t: TestApp;
let baseURL: string;
let courier: Courier;

beforeAll(async () => {
  sims = await startSimulatedProviders();
  // PUBLIC_URL is filled in once the server listens: its port is only known then.
  const publicUrl = new URL('http://127.0.0.1/');
  t = await createTestApp({ providers: sims.providers, retry: FAST_RETRY, messages: { publicUrl } });
  await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', () => resolve()));
  publicUrl.port = String((t.server.address() as AddressInfo).port);
  baseURL = publicUrl.origin;
  courier = new Courier({ apiKey: KEY_A, baseURL, maxRetries: 0 });
  await courier.users.tokens.addSingle(apnsToken(1), { user_id: 'sdk-messages-user', provider_key: 'apn' });
});
afterAll(async () => {
  t.server.closeAllConnections();
  await new Promise((resolve) => t.server.close(resolve));
  await t.close();
  await sims.close();
});

it('send.message with a delay, then messages.cancel: 200 and CANCELED; a second cancel is the SDK’s 409 error', async () => {
  const { requestId } = await courier.send.message({ message: { to: { user_id: 'sdk-messages-user' }, content: { title: 'Later', body: '' }, delay: { duration: 3_600_000 } } });
  const delayed = await courier.messages.retrieve(requestId);
  expect(delayed).toMatchObject({ id: requestId, status: 'DELAYED', recipient: 'sdk-messages-user' });
  const canceled = await courier.messages.cancel(requestId);
  expect(canceled).toMatchObject({ id: requestId, status: 'CANCELED' });
  await expect(courier.messages.cancel(requestId)).rejects.toMatchObject({ status: 409 });
  expect((await courier.messages.history(requestId)).results.map((e) => e.type)).toEqual(['ENQUEUED', 'DELAYED', 'CANCELED']);
});

it('send.message, then messages.retrieve, messages.history and messages.list with filters', async () => {
  const { requestId } = await courier.send.message({ message: { to: { user_id: 'sdk-messages-user' }, content: { title: 'Now', body: 'Hello' } } });
  const message = await courier.messages.retrieve(requestId);
  expect(message).toMatchObject({ id: requestId, status: 'SENT', event: '', notification: '', recipient: 'sdk-messages-user' });
  expect(typeof message.sent).toBe('number');
  expect(message.providers).toEqual([expect.objectContaining({ provider: 'apn', delivered: 1 })]);

  const history = await courier.messages.history(requestId);
  expect(history.results.map((e) => e.type)).toEqual(['ENQUEUED', 'SENT']);
  expect((await courier.messages.history(requestId, { type: 'SENT' })).results).toEqual([expect.objectContaining({ type: 'SENT', integration: { provider: 'apn' } })]);

  // The SDK sends arrays comma-separated.
  const listed = await courier.messages.list({ recipient: 'sdk-messages-user', status: ['SENT', 'DELIVERED'], provider: ['apn'] });
  expect(listed.results.map((m) => m.id)).toContain(requestId);
  expect(listed.results.every((m) => m.status === 'SENT' || m.status === 'DELIVERED')).toBe(true);
  expect((await courier.messages.list({ messageId: requestId })).results.map((m) => m.id)).toEqual([requestId]);
  expect((await courier.messages.list({ status: ['CANCELED'] })).results.every((m) => m.status === 'CANCELED')).toBe(true);
  await expect(courier.messages.retrieve('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404 });
});

it('courier-js tracking.postTrackingUrl with the trackingUrl the push carried: OPENED, then CLICKED', async () => {
  const { requestId } = await courier.send.message({ message: { to: { user_id: 'sdk-messages-user' }, content: { title: 'Track me', body: '' } } });
  const push = sims.apns.received.filter((r) => r.token === apnsToken(1)).at(-1)!;
  const url = (push.payload as { trackingUrl: string }).trackingUrl;
  expect(url.startsWith(`${baseURL}/t/${requestId}.`)).toBe(true);

  const { token: jwt } = await courier.auth.issueToken({ scope: 'user_id:sdk-messages-user read:user-tokens', expires_in: '1h' });
  const client = new CourierClient({ userId: 'sdk-messages-user', jwt, apiUrls: { courier: { rest: baseURL, graphql: `${baseURL}/client/q` }, inbox: { graphql: `${baseURL}/client/q`, webSocket: 'ws://127.0.0.1:9' } } });
  await client.tracking.postTrackingUrl({ url, event: 'OPENED' as never });
  await client.tracking.postTrackingUrl({ url, event: 'CLICKED' as never });
  const message = await courier.messages.retrieve(requestId);
  expect(message.status).toBe('CLICKED');
  expect(message.opened).toBeLessThanOrEqual(message.clicked!);
  expect((await courier.messages.history(requestId)).results.map((e) => e.type)).toEqual(['ENQUEUED', 'SENT', 'OPENED', 'CLICKED']);
});

it('send.message with nested data and providers overrides reaches the simulators as specified (issue 20)', async () => {
  const fcmToken = 'sdk-payload:APA91b-courier-sdk-token';
  await courier.users.tokens.addSingle(fcmToken, { user_id: 'sdk-payload-user', provider_key: 'firebase-fcm' });
  await courier.users.tokens.addSingle(apnsToken(7), { user_id: 'sdk-payload-user', provider_key: 'apn' });
  const { requestId } = await courier.send.message({
    message: {
      to: { user_id: 'sdk-payload-user' },
      content: { title: 'Order', body: 'shipped' },
      data: { order: { id: 42, lines: [{ sku: 'A1', qty: 2 }] } },
      providers: {
        apn: { override: { headers: { 'apns-priority': '5' }, body: { aps: { sound: 'ship.caf' } } } },
        'firebase-fcm': { override: { android: { priority: 'NORMAL', notification: { channel_id: 'orders' } } } },
      },
    },
  });
  expect((await courier.messages.retrieve(requestId)).status).toBe('SENT');
  const apns = sims.apns.received.filter((r) => r.token === apnsToken(7)).at(-1)!;
  expect(apns.headers['apns-priority']).toBe('5');
  expect(apns.payload).toEqual({ aps: { alert: { title: 'Order', body: 'shipped' }, sound: 'ship.caf' }, order: { id: 42, lines: [{ sku: 'A1', qty: 2 }] }, trackingUrl: expect.any(String) });
  const fcm = sims.fcm.received.filter((r) => r.token === fcmToken).at(-1)!.message as { data: Record<string, string>; android: Record<string, unknown> };
  expect(JSON.parse(fcm.data.order!)).toEqual({ id: 42, lines: [{ sku: 'A1', qty: 2 }] });
  expect(fcm.android).toMatchObject({ priority: 'normal', notification: { channel_id: 'orders' } });
});
