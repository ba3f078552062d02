import { apiClient } from '../support/api-client';
import { startSimulatedProviders, type SimulatedProviders } from '../support/simulated-providers';
import { createTestApp, FAST_RETRY, KEY_A, type TestApp } from '../support/test-app';
import { apnsToken } from '../support/tokens';

/**
 * Live Activities through POST /send and the APNs simulator (issue 32): push-to-start and update
 * tokens registered beside a device's ordinary token, a start to a user's push-to-start token, an
 * update to an activity's tokens across users, a stale update refused, a 410 on an update token,
 * and an end with a dismissal date. The simulator checks Apple's push type, topic and aps fields.
 */
let sims: SimulatedProviders;
let t: TestApp;
const DEVICE = { app_id: 'com.example.pushsim', device_id: 'iphone-1', platform: 'ios' };
const ordinary = apnsToken(0x1a0);
const start1 = apnsToken(0x1a1);
const start2 = apnsToken(0x1a2);
const update = (i: number) => apnsToken(0x1b0 + i);

beforeAll(async () => {
  sims = await startSimulatedProviders();
  t = await createTestApp({ providers: sims.providers, retry: FAST_RETRY });
});
afterAll(async () => {
  await t.close();
  await sims.close();
});
beforeEach(() => sims.apns.reset());
const api = () => apiClient(t.app, KEY_A);
const aps = (token: string) => (sims.apns.received.find((r) => r.token === token)?.payload as { aps: Record<string, unknown> } | undefined)?.aps;

it('registers push-to-start and update tokens beside a device’s ordinary token; a new push-to-start token replaces only the old one of its type', async () => {
  await api().putToken('fan-1', ordinary, { provider_key: 'apn', device: DEVICE }).expect(204);
  await api().putToken('fan-1', start1, { provider_key: 'apn', device: DEVICE, live_activity: { kind: 'push_to_start', attributes_type: 'MatchAttributes' } }).expect(204);
  await api().putToken('fan-1', apnsToken(0x1a9), { provider_key: 'apn', device: DEVICE, live_activity: { kind: 'push_to_start', attributes_type: 'RideAttributes' } }).expect(204);
  await api().putToken('fan-1', start2, { provider_key: 'apn', device: DEVICE, live_activity: { kind: 'push_to_start', attributes_type: 'MatchAttributes' } }).expect(204);
  const status = async (token: string) => (await api().getToken('fan-1', token).expect(200)).body;
  expect(await status(ordinary)).toMatchObject({ status: 'active' });
  expect(await status(start1)).toMatchObject({ status: 'revoked', status_reason: 'replaced' });
  expect(await status(start2)).toMatchObject({ status: 'active', live_activity: { kind: 'push_to_start', attributes_type: 'MatchAttributes' } });
  expect(await status(apnsToken(0x1a9))).toMatchObject({ status: 'active' });

  for (let i = 1; i <= 3; i++) await api().putToken(`fan-${i}`, update(i), { provider_key: 'apn', live_activity: { kind: 'update', activity_id: 'match-42', attributes_type: 'MatchAttributes' } }).expect(204);
  const u1 = await status(update(1));
  // An update token lives as long as an activity can (8 hours, and 4 more stale): 12 hours.
  expect(Date.parse(u1.expiry_date) - Date.now()).toBeGreaterThan(11.9 * 3_600_000);
  expect(Date.parse(u1.expiry_date) - Date.now()).toBeLessThanOrEqual(12 * 3_600_000);
  const kinds = async (kind: string) => (await api().listTokens('fan-1', `kind=${kind}`).expect(200)).body.tokens.map((x: { token: string }) => x.token).sort();
  expect(await kinds('device')).toEqual([ordinary]);
  expect(await kinds('update')).toEqual([update(1)]);
  expect(await kinds('push_to_start')).toEqual([start2, apnsToken(0x1a9), start1].sort());
});

it.each([
  ['live_activity on a non-APNs token', 'live_activity', () => api().putToken('fan-x', 'fcm-la:APA91b-x', { provider_key: 'firebase-fcm', live_activity: { kind: 'push_to_start', attributes_type: 'MatchAttributes' } })],
  ['an attributes type that is not a Swift type name', 'live_activity.attributes_type', () => api().putToken('fan-x', apnsToken(0x1c0), { provider_key: 'apn', live_activity: { kind: 'push_to_start', attributes_type: '9 lives' } })],
  ['an update token without its activity', 'live_activity.activity_id', () => api().putToken('fan-x', apnsToken(0x1c1), { provider_key: 'apn', live_activity: { kind: 'update' } })],
  ['an unknown kind', 'live_activity.kind', () => api().putToken('fan-x', apnsToken(0x1c2), { provider_key: 'apn', live_activity: { kind: 'channel' } })],
  ['a start without its attributes type', 'message.live_activity.attributes_type', () => api().send({ to: { user_id: 'fan-1' }, live_activity: { event: 'start', attributes: {}, content_state: {} } })],
  ['an update for users without its activity', 'message.live_activity.activity_id', () => api().send({ to: { user_id: 'fan-1' }, live_activity: { event: 'update', content_state: {} } })],
  ['an activity recipient without a Live Activity event', 'message.to', () => api().send({ to: { activity_id: 'match-42' }, content: { title: 'x' } })],
  ['a timestamp that is not a time', 'message.live_activity.timestamp', () => api().send({ to: { activity_id: 'match-42' }, live_activity: { event: 'update', content_state: {}, timestamp: 'soon' } })],
])('%s is a 400 naming %s', async (_name, path, call) => {
  const res = await call();
  expect(res.status).toBe(400);
  expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
});

it('a start goes to the user’s push-to-start token of that type, as Apple requires it; the ordinary token gets nothing', async () => {
  const res = await api().send({ to: { user_id: 'fan-1' }, live_activity: { event: 'start', attributes_type: 'MatchAttributes', attributes: { home: 'ARS', away: 'CHE' }, content_state: { score: '0-0' }, alert: { title: 'Kick-off' } } }).expect(200);
  expect(res.body.summary).toMatchObject({ delivered: 1 });
  expect(sims.apns.refused).toEqual([]);
  expect(sims.apns.received.map((r) => r.token)).toEqual([start2]);
  const [request] = sims.apns.received;
  expect(request!.headers['apns-push-type']).toBe('liveactivity');
  expect(request!.headers['apns-topic']).toBe(`${sims.creds.apns.topic}.push-type.liveactivity`);
  expect(request!.headers['apns-priority']).toBe('10');
  expect(aps(start2)).toMatchObject({ event: 'start', 'attributes-type': 'MatchAttributes', attributes: { home: 'ARS', away: 'CHE' }, 'content-state': { score: '0-0' }, 'input-push-token': 1, alert: { title: 'Kick-off' } });
});

it('an update to {activity_id} reaches its update tokens across users, at priority 5; an ordinary send reaches no Live Activity token', async () => {
  const res = await api().send({ to: { activity_id: 'match-42' }, live_activity: { event: 'update', content_state: { score: '1-0' }, timestamp: new Date(Date.now() - 60_000).toISOString() } }).expect(200);
  expect(res.body.summary).toMatchObject({ delivered: 3 });
  expect(sims.apns.received.map((r) => r.token).sort()).toEqual([update(1), update(2), update(3)].sort());
  expect(sims.apns.received.every((r) => r.headers['apns-priority'] === '5')).toBe(true);
  expect((await api().get(`/messages/${res.body.requestId}`).expect(200)).body).toMatchObject({ recipient: 'match-42', status: 'SENT' });

  sims.apns.reset();
  await api().send({ to: { user_id: 'fan-1' }, content: { title: 'Ordinary' } }).expect(200);
  expect(sims.apns.received.map((r) => r.token)).toEqual([ordinary]);
  // A user's update narrowed to the activity.
  sims.apns.reset();
  await api().send({ to: { user_id: 'fan-2' }, live_activity: { event: 'update', activity_id: 'match-42', content_state: { score: '2-0' }, timestamp: new Date(Date.now() - 30_000).toISOString() } }).expect(200);
  expect(sims.apns.received.map((r) => r.token)).toEqual([update(2)]);
});

it('an update older than the last one sent to the activity is a 409, and nothing goes out', async () => {
  sims.apns.reset();
  const res = await api().send({ to: { activity_id: 'match-42' }, live_activity: { event: 'update', content_state: { score: '0-0' }, timestamp: new Date(Date.now() - 45_000).toISOString() } });
  expect(res.status).toBe(409);
  expect(res.body.message).toMatch(/already had an event/);
  expect(sims.apns.received).toHaveLength(0);
});

it('a 410 on an update token kills that token once; an end sets the others to expire at its dismissal date', async () => {
  sims.apns.stage(update(3), { status: 410, reason: 'Unregistered' });
  const dismissal = new Date(Date.now() + 3_600_000);
  const res = await api().send({ to: { activity_id: 'match-42' }, live_activity: { event: 'end', content_state: { score: '2-1' }, dismissal_date: dismissal.toISOString() } }).expect(200);
  expect(res.body.summary).toMatchObject({ delivered: 2, invalidated: 1 });
  expect(aps(update(1))).toMatchObject({ event: 'end', 'dismissal-date': Math.floor(dismissal.getTime() / 1000) });
  expect((await api().getToken('fan-3', update(3)).expect(200)).body).toMatchObject({ status: 'failed', status_reason: 'apns:Unregistered' });
  for (const i of [1, 2]) expect((await api().getToken(`fan-${i}`, update(i)).expect(200)).body.expiry_date).toBe(dismissal.toISOString());
});

it('the Devices API registers a Live Activity token on an iOS device as an APNs token; on Android it is a 400', async () => {
  const res = await api().registerDevice('fan-9', { token: apnsToken(0x1d0), platform: 'ios', device_name: 'Phone', device_model: 'iPhone16,1', live_activity: { kind: 'push_to_start', attributes_type: 'MatchAttributes' } }).expect(201);
  expect(res.body).toMatchObject({ platform: 'ios', live_activity: { kind: 'push_to_start', attributes_type: 'MatchAttributes' } });
  expect((await api().getToken('fan-9', apnsToken(0x1d0)).expect(200)).body).toMatchObject({ provider_key: 'apn', live_activity: { kind: 'push_to_start' } });
  // The device's ordinary token, registered after it, replaces nothing of the other kind.
  await api().registerDevice('fan-9', { token: 'fan9:APA91b-ordinary', platform: 'ios', device_name: 'Phone', device_model: 'iPhone16,1' }).expect(201);
  expect((await api().getToken('fan-9', apnsToken(0x1d0)).expect(200)).body.status).toBe('active');
  const android = await api().registerDevice('fan-9', { token: apnsToken(0x1d1), platform: 'android', live_activity: { kind: 'push_to_start', attributes_type: 'MatchAttributes' } });
  expect(android.status).toBe(400);
  expect(android.body.errors[0].path).toBe('live_activity');
});

it('a user token registers its own user’s Live Activity tokens, and no other user’s', async () => {
  const { token: jwt } = (await api().post('/auth/issue-token', { scope: 'user_id:la-app-user write:user-tokens read:user-tokens', expires_in: '1h' }).expect(200)).body as { token: string };
  const asApp = apiClient(t.app, jwt);
  await asApp.putToken('la-app-user', apnsToken(0x1e0), { provider_key: 'apn', live_activity: { kind: 'update', activity_id: 'ride-7', attributes_type: 'RideAttributes' } }).expect(204);
  expect((await asApp.getToken('la-app-user', apnsToken(0x1e0)).expect(200)).body).toMatchObject({ live_activity: { kind: 'update', activity_id: 'ride-7' } });
  const other = await asApp.putToken('someone-else', apnsToken(0x1e1), { provider_key: 'apn', live_activity: { kind: 'update', activity_id: 'ride-7' } });
  expect(other.status).toBe(403);
  await api().getToken('someone-else', apnsToken(0x1e1)).expect(404);
});
