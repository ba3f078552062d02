import type { AddressInfo } from 'node:net';
import Courier from '@trycourier/courier';
import { CourierClient } from '@trycourier/courier-js';
import { startAllProviders, type AllProviders } from '../support/all-providers';
import { KEY_A } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * Courier's own SDKs against lists, audiences and broadcasts (issue 30), changing only the base
 * URL: @trycourier/courier creates a list, subscribes users, sends to it and reads the message's
 * progress; courier-js subscribes its own user with a user token, and no one else.
 */
let all: AllProviders;
let courier: Courier;
let baseURL: string;
beforeAll(async () => {
  all = await startAllProviders({ broadcast: { chunkSize: 10, intervalMs: 20 } });
  all.t.broadcastWorker.start();
  await new Promise<void>((resolve) => all.t.server.listen(0, '127.0.0.1', () => resolve()));
  baseURL = `http://127.0.0.1:${(all.t.server.address() as AddressInfo).port}`;
  courier = new Courier({ apiKey: KEY_A, baseURL, maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  all.t.server.closeAllConnections();
  await new Promise((resolve) => all.t.server.close(resolve));
  await all.close();
});

it('lists.update, subscriptions.add, list, send to the list, and the message’s progress', async () => {
  const alice = await all.register('sdk-alice');
  const bob = await all.register('sdk-bob');
  await all.register('sdk-carol');
  await courier.lists.update('sdk.news', { name: 'SDK news' });
  await courier.lists.subscriptions.add('sdk.news', { recipients: [{ recipientId: 'sdk-alice' }, { recipientId: 'sdk-bob' }] });
  expect(await courier.lists.retrieve('sdk.news')).toMatchObject({ id: 'sdk.news', name: 'SDK news' });
  const listed = await courier.lists.list({ pattern: 'sdk.*' });
  expect(listed.items.map((l) => l.id)).toEqual(['sdk.news']);
  const members = await courier.lists.subscriptions.list('sdk.news');
  expect(members.items.map((m) => m.recipientId)).toEqual(['sdk-alice', 'sdk-bob']);

  const { requestId } = await courier.send.message({ message: { to: { list_id: 'sdk.news' }, content: { title: 'Hello list', body: '' } } });
  let message: Record<string, unknown> = {};
  await waitFor(async () => {
    message = (await courier.messages.retrieve(requestId)) as unknown as Record<string, unknown>;
    return message.status === 'SENT';
  }, 'the list send to finish');
  expect(message).toMatchObject({ id: requestId, recipient: 'sdk.news', progress: { delivered: 8, total: 8, running: false } });
  expect(all.apns.received.map((r) => r.token).sort()).toEqual([alice.apn, bob.apn].sort());

  await courier.lists.subscriptions.unsubscribeUser('sdk-bob', { list_id: 'sdk.news' });
  expect((await courier.lists.subscriptions.list('sdk.news')).items.map((m) => m.recipientId)).toEqual(['sdk-alice']);
  await courier.lists.subscriptions.subscribe('sdk.news', { recipients: [{ recipientId: 'sdk-carol' }] });
  expect((await courier.lists.subscriptions.list('sdk.news')).items.map((m) => m.recipientId)).toEqual(['sdk-carol']);
  await courier.lists.delete('sdk.news');
  await expect(courier.lists.retrieve('sdk.news')).rejects.toMatchObject({ status: 404 });
  await courier.lists.restore('sdk.news', {});
  expect((await courier.lists.subscriptions.list('sdk.news')).items.map((m) => m.recipientId)).toEqual(['sdk-carol']);
});

it('audiences.update, retrieve, list, listMembers and delete', async () => {
  await all.register('sdk-aud');
  const { audience } = await courier.audiences.update('sdk-ios', { name: 'iOS', filter: { filters: [{ operator: 'EQ', path: 'provider_key', value: 'apn' }] }, operator: 'AND' });
  expect(audience).toMatchObject({ id: 'sdk-ios', name: 'iOS', operator: 'AND' });
  expect((await courier.audiences.retrieve('sdk-ios')).filter).toEqual({ filters: [{ operator: 'EQ', path: 'provider_key', value: 'apn' }] });
  expect((await courier.audiences.list()).items.map((a) => a.id)).toContain('sdk-ios');
  const members = await courier.audiences.listMembers('sdk-ios');
  expect(members.items.length).toBeGreaterThan(0);
  expect(members.items.every((m) => m.audience_id === 'sdk-ios')).toBe(true);
  await expect(courier.audiences.update('sdk-bad', { filter: { filters: [{ operator: 'EQ', path: 'device.colour', value: 'red' }] } })).rejects.toMatchObject({ status: 400 });
  await courier.audiences.delete('sdk-ios');
  await expect(courier.audiences.retrieve('sdk-ios')).rejects.toMatchObject({ status: 404 });
});

it('courier-js subscribes and unsubscribes its own user with a user token, and no one else', async () => {
  const { token: jwt } = await courier.auth.issueToken({ scope: 'user_id:app-user write:user-tokens', expires_in: '1h' });
  const apiUrls = { courier: { rest: baseURL, graphql: `${baseURL}/client/q` }, inbox: { graphql: `${baseURL}/client/q`, webSocket: 'ws://127.0.0.1:9' } };
  const client = new CourierClient({ userId: 'app-user', jwt, apiUrls });
  // clientKey is deprecated in courier-js, and still required by its types: it is sent as a header, and ignored here.
  await client.lists.putSubscription({ listId: 'topics.scores', clientKey: 'unused' });
  expect((await courier.lists.subscriptions.list('topics.scores')).items.map((m) => m.recipientId)).toEqual(['app-user']);
  await client.lists.deleteSubscription({ listId: 'topics.scores', clientKey: 'unused' });
  expect((await courier.lists.subscriptions.list('topics.scores')).items).toEqual([]);

  const impostor = new CourierClient({ userId: 'someone-else', jwt, apiUrls });
  await expect(impostor.lists.putSubscription({ listId: 'topics.scores', clientKey: 'unused' })).rejects.toMatchObject({ code: 403 });
  expect((await courier.lists.subscriptions.list('topics.scores')).items).toEqual([]);
});
