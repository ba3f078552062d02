import request from 'supertest';
import { ApnsSimulator, type SimChannel } from '../simulators/apns-simulator';
import { makeApnsKey, makeTestCredentials } from '../simulators/credentials';
import { apiClient } from '../support/api-client';
import { bearer, createTestApp, KEY_A, KEY_B, type TestApp } from '../support/test-app';
import { apnsToken } from '../support/tokens';

/**
 * iOS 18 broadcast channels (issue 32), end to end: created, listed and deleted through POST,
 * GET and DELETE /live-activities/channels, which speak Apple's channel management API to the
 * channel host (APNS_CHANNELS_ENDPOINT: its own simulator here, sharing Apple's channel state
 * with the push host's); a send to {channel_id} publishes one broadcast request to the push
 * host, recorded in the message log. The simulators check the JWT, the bundle id, the channel
 * and the aps fields of each.
 */
const team = makeApnsKey('KEYCH00001', 'TEAMCH0001', ['com.example.match', 'com.example.auto']);
const base = makeTestCredentials();
const shared = new Map<string, SimChannel>();
let push: ApnsSimulator;
let channelHost: ApnsSimulator;
let sandboxPush: ApnsSimulator;
let sandboxChannelHost: ApnsSimulator;
let t: TestApp;

beforeAll(async () => {
  const sandboxChannels = new Map<string, SimChannel>();
  push = await ApnsSimulator.start({ ...base.apns, keys: [team], channels: shared });
  channelHost = await ApnsSimulator.start({ ...base.apns, keys: [team], channels: shared });
  sandboxPush = await ApnsSimulator.start({ ...base.apns, keys: [team], channels: sandboxChannels });
  sandboxChannelHost = await ApnsSimulator.start({ ...base.apns, keys: [team], channels: sandboxChannels });
  t = await createTestApp({
    delivery: { endpoints: { apns: new URL(push.url), apnsSandbox: new URL(sandboxPush.url), apnsChannels: new URL(channelHost.url), apnsChannelsSandbox: new URL(sandboxChannelHost.url), fcm: undefined } },
    workspaceLimits: { liveActivityChannels: 4 },
  });
  const put = (path: string, body: object) => request(t.app).put(path).set(bearer(KEY_A)).send(body).expect(201);
  await put('/credentials/team', { provider_key: 'apn', team_id: team.teamId, key_id: team.keyId, key: team.pem });
  await put('/apps/com.example.match', { apn: { credential_id: 'team' } });
  await put('/apps/com.example.auto', { apn: { credential_id: 'team', environment: 'auto' } });
}, 60_000);
afterEach(() => [push, channelHost, sandboxPush, sandboxChannelHost].forEach((sim) => sim.reset()));
afterAll(async () => {
  await t.close();
  await Promise.all([push, channelHost, sandboxPush, sandboxChannelHost].map((sim) => sim.close()));
});

const api = () => apiClient(t.app, KEY_A);
const create = async (body: object = { app_id: 'com.example.match', storage: 'most_recent' }) => (await api().post('/live-activities/channels', body).expect(201)).body as { channel_id: string; environment: string };
const path = (id: string) => `/live-activities/channels/${encodeURIComponent(id)}`;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

it('creates a channel at Apple’s channel host with the app’s key, and lists and reads it back', async () => {
  const created = await create();
  expect(created).toMatchObject({ app_id: 'com.example.match', bundle_id: 'com.example.match', environment: 'production', storage: 'most_recent' });
  expect(channelHost.channelRequests).toEqual([{ method: 'POST', path: '/1/apps/com.example.match/channels', keyId: team.keyId }]);
  expect(push.channelRequests).toEqual([]);
  expect(shared.get(created.channel_id)).toEqual({ bundleId: 'com.example.match', storagePolicy: 1 });
  expect((await api().get(path(created.channel_id)).expect(200)).body).toEqual(created);
  const listed = (await api().get('/live-activities/channels').expect(200)).body;
  expect(listed.channels.map((c: { channel_id: string }) => c.channel_id)).toContain(created.channel_id);
  await api().del(path(created.channel_id)).expect(204);
});

it('a send to {channel_id} publishes one broadcast request, recorded in the message log; an older update is a 409', async () => {
  const { channel_id } = await create({ app_id: 'com.example.match' });
  const res = await api().send({ to: { channel_id }, live_activity: { event: 'update', content_state: { score: '1-0' }, timestamp: ago(60_000) } }).expect(200);
  expect(res.body.summary).toMatchObject({ delivered: 1, failed: 0 });
  expect(push.broadcasts).toHaveLength(1);
  const [sent] = push.broadcasts;
  expect(sent!.channelId).toBe(channel_id);
  expect(sent!.bundleId).toBe('com.example.match');
  expect(sent!.headers['apns-push-type']).toBe('liveactivity');
  expect(sent!.headers['apns-priority']).toBe('5');
  expect((sent!.payload as { aps: object }).aps).toMatchObject({ event: 'update', 'content-state': { score: '1-0' } });
  expect(push.refused).toEqual([]);
  const message = (await api().get(`/messages/${res.body.requestId}`).expect(200)).body;
  expect(message).toMatchObject({ recipient: channel_id, status: 'SENT' });

  const stale = await api().send({ to: { channel_id }, live_activity: { event: 'update', content_state: { score: '0-0' }, timestamp: ago(90_000) } });
  expect(stale.status).toBe(409);
  expect(push.broadcasts).toHaveLength(1);

  const dismissal = new Date(Date.now() + 600_000);
  await api().send({ to: { channel_id }, live_activity: { event: 'end', content_state: { score: '2-1' }, dismissal_date: dismissal.toISOString(), alert: { title: 'Full time' } } }).expect(200);
  const end = push.broadcasts[1]!;
  expect(end.headers['apns-priority']).toBe('10');
  expect((end.payload as { aps: object }).aps).toMatchObject({ event: 'end', 'dismissal-date': Math.floor(dismissal.getTime() / 1000), alert: { title: 'Full time' } });
  await api().del(path(channel_id)).expect(204);
});

it('a transient answer is retried; a refusal is the message’s failure, never a token’s', async () => {
  const { channel_id } = await create({ app_id: 'com.example.match' });
  push.stage(channel_id, [{ status: 503, reason: 'ServiceUnavailable' }, { status: 200 }]);
  const retried = await api().send({ to: { channel_id }, live_activity: { event: 'update', content_state: { n: 1 }, timestamp: ago(50_000) } }).expect(200);
  expect(retried.body.summary).toMatchObject({ delivered: 1 });
  expect(push.broadcasts).toHaveLength(1);

  push.stage(channel_id, { status: 400, reason: 'BadChannelId' });
  const refused = await api().send({ to: { channel_id }, live_activity: { event: 'update', content_state: { n: 2 }, timestamp: ago(40_000) } }).expect(200);
  expect(refused.body.results).toEqual([expect.objectContaining({ outcome: 'rejected', reason: 'apns:BadChannelId', user_id: null })]);
  expect(refused.body.summary).toMatchObject({ delivered: 0, invalidated: 0, failed: 1 });
  expect((await api().get(`/messages/${refused.body.requestId}`).expect(200)).body).toMatchObject({ status: 'UNDELIVERABLE', reason: 'PROVIDER_ERROR' });
  await api().del(path(channel_id)).expect(204);
});

it('a delayed send to a channel publishes when due', async () => {
  const { channel_id } = await create({ app_id: 'com.example.match' });
  const delayed = await api().send({ to: { channel_id }, live_activity: { event: 'update', content_state: { n: 3 } }, delay: { duration: 0 } }).expect(202);
  await t.scheduler.runOnce();
  expect(push.broadcasts.map((b) => b.channelId)).toEqual([channel_id]);
  expect((await api().get(`/messages/${delayed.body.requestId}`).expect(200)).body).toMatchObject({ status: 'SENT', recipient: channel_id });
  await api().del(path(channel_id)).expect(204);
});

it('a start can subscribe the new activity to a channel (input-push-channel) instead of asking for its update token', async () => {
  const { channel_id } = await create({ app_id: 'com.example.match' });
  const starter = apnsToken(0x2c1);
  await api().putToken('fan-ch', starter, { provider_key: 'apn', device: { app_id: 'com.example.match' }, live_activity: { kind: 'push_to_start', attributes_type: 'MatchAttributes' } }).expect(204);
  await api().send({ to: { user_id: 'fan-ch' }, live_activity: { event: 'start', attributes_type: 'MatchAttributes', attributes: { home: 'ARS' }, content_state: { score: '0-0' }, input_push_channel: channel_id } }).expect(200);
  const aps = (push.received.find((r) => r.token === starter)!.payload as { aps: Record<string, unknown> }).aps;
  expect(aps['input-push-channel']).toBe(channel_id);
  expect(aps['input-push-token']).toBeUndefined();
  await api().del(path(channel_id)).expect(204);
});

it('deletes at Apple, then here: the channel is gone from both, and a send to it is a 404', async () => {
  const { channel_id } = await create();
  await api().del(path(channel_id)).expect(204);
  expect(channelHost.channelRequests.at(-1)).toMatchObject({ method: 'DELETE', path: '/1/apps/com.example.match/channels' });
  expect(shared.has(channel_id)).toBe(false);
  await api().get(path(channel_id)).expect(404);
  await api().del(path(channel_id)).expect(404);
  await api().send({ to: { channel_id }, live_activity: { event: 'update', content_state: {} } }).expect(404);
  // One Apple forgot already is deleted here all the same.
  const forgotten = await create();
  shared.delete(forgotten.channel_id);
  await api().del(path(forgotten.channel_id)).expect(204);
  await api().get(path(forgotten.channel_id)).expect(404);
});

it('an app sending to both environments names the channel’s; a sandbox channel is made and published in the sandbox', async () => {
  const missing = await api().post('/live-activities/channels', { app_id: 'com.example.auto' });
  expect(missing.status).toBe(400);
  expect(missing.body.errors.map((e: { path: string }) => e.path)).toEqual(['environment']);
  const { channel_id, environment } = await create({ app_id: 'com.example.auto', environment: 'sandbox' });
  expect(environment).toBe('sandbox');
  expect(sandboxChannelHost.channelRequests).toHaveLength(1);
  expect(channelHost.channelRequests).toHaveLength(0);
  await api().send({ to: { channel_id }, live_activity: { event: 'update', content_state: { n: 1 } } }).expect(200);
  expect(sandboxPush.broadcasts).toHaveLength(1);
  expect(push.broadcasts).toHaveLength(0);
  await api().del(path(channel_id)).expect(204);
});

it('pages by cursor, and stops at MAX_LIVE_ACTIVITY_CHANNELS before asking Apple', async () => {
  const ids = [];
  for (let i = 0; i < 4; i++) ids.push((await create()).channel_id);
  const first = (await api().get('/live-activities/channels?limit=3').expect(200)).body;
  expect(first.channels).toHaveLength(3);
  expect(first.paging.more).toBe(true);
  const second = (await api().get(`/live-activities/channels?limit=3&cursor=${first.paging.cursor}`).expect(200)).body;
  expect([...first.channels, ...second.channels].map((c: { channel_id: string }) => c.channel_id).sort()).toEqual([...ids].sort());
  channelHost.reset();
  const over = await api().post('/live-activities/channels', { app_id: 'com.example.match' });
  expect(over.status).toBe(409);
  expect(over.body.message).toMatch(/MAX_LIVE_ACTIVITY_CHANNELS/);
  expect(channelHost.channelRequests).toEqual([]);
  for (const id of ids) await api().del(path(id)).expect(204);
});

it('another workspace’s channel is a 404 to read, delete or send to', async () => {
  const { channel_id } = await create();
  const other = apiClient(t.app, KEY_B);
  await other.get(path(channel_id)).expect(404);
  await other.del(path(channel_id)).expect(404);
  await other.send({ to: { channel_id }, live_activity: { event: 'update', content_state: {} } }).expect(404);
  await api().del(path(channel_id)).expect(204);
});

it.each([
  ['an app that does not exist', 404, undefined, { app_id: 'com.example.none' }],
  ['an unknown storage policy', 400, 'storage', { app_id: 'com.example.match', storage: 'all' }],
  ['an unknown field', 400, 'colour', { app_id: 'com.example.match', colour: 'red' }],
])('creating with %s is a %d', async (_name, status, field, body) => {
  const res = await api().post('/live-activities/channels', body);
  expect(res.status).toBe(status);
  if (field) expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
  expect(channelHost.channelRequests).toEqual([]);
});

it.each([
  ['a start to a channel', 'message.live_activity.event', { to: { channel_id: 'Y2hhbm5lbA==' }, live_activity: { event: 'start', attributes_type: 'A', attributes: {}, content_state: {} } }],
  ['a channel with no Live Activity event', 'message.to', { to: { channel_id: 'Y2hhbm5lbA==' }, content: { title: 'x' } }],
  ['a channel beside another recipient', 'message.to', { to: [{ channel_id: 'Y2hhbm5lbA==' }, { user_id: 'u' }], live_activity: { event: 'update', content_state: {} } }],
  ['a channel id that is not base64', 'message.to.channel_id', { to: { channel_id: 'not a channel!' }, live_activity: { event: 'update', content_state: {} } }],
  ['input_push_channel on an update', 'message.live_activity.input_push_channel', { to: { activity_id: 'a' }, live_activity: { event: 'update', content_state: {}, input_push_channel: 'Y2hhbm5lbA==' } }],
])('%s is a 400 naming %s', async (_name, field, message) => {
  const res = await api().send(message);
  expect(res.status).toBe(400);
  expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
});
