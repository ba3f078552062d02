import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { CredentialStore } from '../../src/apps/credential-store';
import { SecretBox } from '../../src/apps/secret-box';
import { ApnsSimulator } from '../simulators/apns-simulator';
import { makeApnsKey, makeServiceAccount, makeTestCredentials } from '../simulators/credentials';
import { FcmSimulator } from '../simulators/fcm-simulator';
import { bearer, createTestApp, KEY_A, KEY_B, type TestApp } from '../support/test-app';
import { apiClient } from '../support/api-client';

/**
 * Issue 11, end to end on one instance: two workspaces, three apps across two Apple teams and
 * two Firebase projects, credentials put through the API, no instance-wide credentials. The
 * simulators prove which key signed each request, with which topic, to which project.
 */
const teamA = makeApnsKey('KEYA000001', 'TEAMA00001', ['com.example.one', 'com.example.two', 'com.example.auto']);
const teamARotated = makeApnsKey('KEYA000002', 'TEAMA00001', teamA.topics);
const teamB = makeApnsKey('KEYB000001', 'TEAMB00001', ['com.example.three']);
const project1 = makeServiceAccount('project-one');
const project2 = makeServiceAccount('project-two');
const base = makeTestCredentials();

let apns: ApnsSimulator;
let sandbox: ApnsSimulator;
let fcm: FcmSimulator;
let t: TestApp;
const hex = () => randomBytes(32).toString('hex');

beforeAll(async () => {
  apns = await ApnsSimulator.start({ ...base.apns, keys: [teamA, teamB] });
  sandbox = await ApnsSimulator.start({ ...base.apns, keys: [teamA, teamB] });
  fcm = await FcmSimulator.start({ ...base.fcm, projects: [project1, project2] });
  t = await createTestApp({
    delivery: { endpoints: { apns: new URL(apns.url), apnsSandbox: new URL(sandbox.url), fcm: new URL(fcm.url) }, fcmBatchTimeoutMs: 20_000 },
  });
  const put = (key: string, path: string, body: object) => request(t.app).put(path).set(bearer(key)).send(body).expect(201);
  await put(KEY_A, '/credentials/team-a', { provider_key: 'apn', team_id: teamA.teamId, key_id: teamA.keyId, key: teamA.pem });
  await put(KEY_A, '/credentials/project-1', { provider_key: 'firebase-fcm', service_account: project1.json });
  await put(KEY_A, '/apps/com.example.one', { apn: { credential_id: 'team-a' }, 'firebase-fcm': { credential_id: 'project-1' } });
  await put(KEY_A, '/apps/com.example.two', { apn: { credential_id: 'team-a' } });
  await put(KEY_A, '/apps/com.example.auto', { apn: { credential_id: 'team-a', environment: 'auto' } });
  await put(KEY_B, '/credentials/team-b', { provider_key: 'apn', team_id: teamB.teamId, key_id: teamB.keyId, key: teamB.pem, environments: ['production'] });
  await put(KEY_B, '/credentials/project-2', { provider_key: 'firebase-fcm', service_account: project2.json });
  await put(KEY_B, '/apps/com.example.three', { apn: { credential_id: 'team-b' }, 'firebase-fcm': { credential_id: 'project-2' } });
}, 60_000);
afterEach(() => {
  apns.reset();
  sandbox.reset();
  fcm.reset();
});
afterAll(async () => {
  await t.close();
  await Promise.all([apns.close(), sandbox.close(), fcm.close()]);
});

const register = async (key: string, user: string, token: string, provider: string, appId?: string) =>
  apiClient(t.app, key).putToken(user, token, { provider_key: provider, ...(appId ? { device: { app_id: appId } } : {}) }).expect(204);
const send = (key: string, user: string) => apiClient(t.app, key).sendTo({ user_id: user }, { content: { title: 'hi' } });
const status = async (key: string, user: string, token: string) => (await apiClient(t.app, key).getToken(user, token).expect(200)).body;

it('Each request is signed by its app’s key, with its app’s topic, to its app’s project', async () => {
  const [one, two, three] = [hex(), hex(), hex()];
  await register(KEY_A, 'alice', one, 'apn', 'com.example.one');
  await register(KEY_A, 'alice', two, 'apn', 'com.example.two');
  await register(KEY_A, 'alice', 'fcm-one:APA91b-alice', 'firebase-fcm', 'com.example.one');
  await register(KEY_B, 'bob', three, 'apn', 'com.example.three');
  await register(KEY_B, 'bob', 'fcm-three:APA91b-bob', 'firebase-fcm', 'com.example.three');

  expect((await send(KEY_A, 'alice')).summary).toMatchObject({ delivered: 3, failed: 0 });
  expect((await send(KEY_B, 'bob')).summary).toMatchObject({ delivered: 2, failed: 0 });

  const byToken = new Map(apns.received.map((r) => [r.token, r]));
  expect(byToken.get(one)).toMatchObject({ keyId: 'KEYA000001', teamId: 'TEAMA00001', topic: 'com.example.one' });
  expect(byToken.get(two)).toMatchObject({ keyId: 'KEYA000001', teamId: 'TEAMA00001', topic: 'com.example.two' });
  expect(byToken.get(three)).toMatchObject({ keyId: 'KEYB000001', teamId: 'TEAMB00001', topic: 'com.example.three' });
  const projects = new Map(fcm.received.map((r) => [r.token, r.project]));
  expect(projects.get('fcm-one:APA91b-alice')).toBe('project-one');
  expect(projects.get('fcm-three:APA91b-bob')).toBe('project-two');
  // One client per credential, reused: two sends, one OAuth exchange per project.
  expect(t.providerClients.counts()).toEqual({ apn: 2, 'firebase-fcm': 2, expo: 0, onesignal: 0, webpush: 0 });
});

it('A credential rotated through the API is used by the next send, with no restart', async () => {
  const token = hex();
  await register(KEY_A, 'rotating', token, 'apn', 'com.example.two');
  await send(KEY_A, 'rotating');
  expect(apns.received.at(-1)!.keyId).toBe('KEYA000001');
  apns.learnKey(teamARotated);
  sandbox.learnKey(teamARotated);
  await request(t.app).put('/credentials/team-a').set(bearer(KEY_A)).send({ provider_key: 'apn', team_id: teamA.teamId, key_id: teamARotated.keyId, key: teamARotated.pem }).expect(200);
  expect((await send(KEY_A, 'rotating')).summary.delivered).toBe(1);
  expect(apns.received.at(-1)!.keyId).toBe('KEYA000002');
});

it('After an app is deleted, its tokens are rejected naming the app, and stay active', async () => {
  const token = hex();
  await request(t.app).put('/apps/com.example.gone').set(bearer(KEY_A)).send({ apn: { credential_id: 'team-a' } }).expect(201);
  await register(KEY_A, 'leaver', token, 'apn', 'com.example.gone');
  await request(t.app).delete('/apps/com.example.gone').set(bearer(KEY_A)).expect(204);
  const report = await send(KEY_A, 'leaver');
  expect(report.results).toEqual([expect.objectContaining({ outcome: 'rejected', reason: 'no credentials for app com.example.gone' })]);
  expect((await status(KEY_A, 'leaver', token)).status).toBe('active');
});

it('Workspaces are isolated: another workspace’s app is no app here', async () => {
  const token = hex();
  await register(KEY_B, 'mallory', token, 'apn', 'com.example.one');
  const report = await send(KEY_B, 'mallory');
  expect(report.results[0]).toMatchObject({ outcome: 'rejected', reason: 'no credentials for app com.example.one' });
  expect(apns.received).toHaveLength(0);
});

it('Routing errors leave tokens alone: SENDER_ID_MISMATCH and DeviceTokenNotForTopic are rejected', async () => {
  fcm.belongsTo('fcm-wrong:APA91b-carol', 'project-two');
  await register(KEY_A, 'carol', 'fcm-wrong:APA91b-carol', 'firebase-fcm', 'com.example.one');
  const notForTopic = hex();
  apns.stage(notForTopic, { status: 400, reason: 'DeviceTokenNotForTopic' });
  await register(KEY_A, 'carol', notForTopic, 'apn', 'com.example.one');
  const report = await send(KEY_A, 'carol');
  expect(report.summary).toMatchObject({ invalidated: 0 });
  expect(report.results.map((r) => r.reason).sort()).toEqual(['apns:DeviceTokenNotForTopic', 'fcm:SENDER_ID_MISMATCH']);
  expect((await status(KEY_A, 'carol', 'fcm-wrong:APA91b-carol')).status).toBe('active');
  expect((await status(KEY_A, 'carol', notForTopic)).status).toBe('active');
});

describe('APNs environment auto', () => {
  it('A development build’s token: production says BadDeviceToken, the sandbox delivers; it is remembered and goes straight to the sandbox next time', async () => {
    const devBuild = hex();
    apns.stage(devBuild, { status: 400, reason: 'BadDeviceToken' });
    await register(KEY_A, 'dev', devBuild, 'apn', 'com.example.auto');
    const first = await send(KEY_A, 'dev');
    expect(first.results[0]).toMatchObject({ outcome: 'delivered' });
    expect(apns.attempts(devBuild)).toBe(1);
    expect(sandbox.attempts(devBuild)).toBe(1);
    expect((await t.model.findOne({ token: devBuild }).lean())!.apns_environment).toBe('sandbox');
    await send(KEY_A, 'dev');
    expect(apns.attempts(devBuild)).toBe(1);
    expect(sandbox.attempts(devBuild)).toBe(2);
    expect((await status(KEY_A, 'dev', devBuild)).status).toBe('active');
  });

  it('A token both environments refuse is dead', async () => {
    const dead = hex();
    apns.stage(dead, { status: 400, reason: 'BadDeviceToken' });
    sandbox.stage(dead, { status: 400, reason: 'BadDeviceToken' });
    await register(KEY_A, 'gone', dead, 'apn', 'com.example.auto');
    const report = await send(KEY_A, 'gone');
    expect(report.results[0]).toMatchObject({ outcome: 'invalid', reason: 'apns:BadDeviceToken' });
    expect((await status(KEY_A, 'gone', dead)).status).toBe('failed');
  });

  it('A production token is delivered by production alone', async () => {
    const prod = hex();
    await register(KEY_A, 'prod', prod, 'apn', 'com.example.auto');
    await send(KEY_A, 'prod');
    expect(apns.attempts(prod)).toBe(1);
    expect(sandbox.attempts(prod)).toBe(0);
  });
});

it('A credential no configured key can decrypt is a clear rejected reason per token, never a crash', async () => {
  const stranger = (SecretBox.parse(SecretBox.newKeyEntry('other')) as { box: SecretBox }).box;
  await new CredentialStore(t.connection.db!, stranger).putCredential('ws_b', 'foreign', { provider_key: 'apn', team_id: teamB.teamId, key_id: teamB.keyId, key: teamB.pem, environments: ['production'] });
  await request(t.app).put('/apps/com.example.foreign').set(bearer(KEY_B)).send({ apn: { credential_id: 'foreign' } }).expect(201);
  const token = hex();
  await register(KEY_B, 'eve', token, 'apn', 'com.example.foreign');
  const report = await send(KEY_B, 'eve');
  expect(report.results[0]).toMatchObject({ outcome: 'rejected', reason: 'credential foreign of app com.example.foreign can\'t be used: encrypted with key other, which is not in CREDENTIALS_KEYS' });
  expect((await status(KEY_B, 'eve', token)).status).toBe('active');
});

it('/metrics shows the live clients per provider', async () => {
  const text = (await request(t.app).get('/metrics').expect(200)).text;
  expect(text).toMatch(/push_provider_clients\{provider="apn"\} [1-9]/);
  expect(text).toMatch(/push_provider_clients\{provider="firebase-fcm"\} [1-9]/);
});
