import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Types } from 'mongoose';
import { tokenModel, type TokenModel } from '../../src/tokens/token-model';
import { openTestDatabase } from '../support/test-db';
import { ExpoProvider } from '../../src/providers/expo-provider';
import { ExpoSimulator } from '../simulators/expo-simulator';
import { vapidProblems } from '../../src/providers/webpush-vapid';
import { SIMULATOR_CA_FILE } from '../simulators/sim-server';

const execFileAsync = promisify(execFile);

/** The admin CLI as a real process against the test database. */
const ROOT = path.resolve(__dirname, '../..');
let uri: string;
let model: TokenModel;
let close: () => Promise<void>;

function admin(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/admin.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MONGODB_URI: uri, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const day = 86_400_000;
function doc(workspace: string, user: string, token: string, fields: Record<string, unknown> = {}) {
  const now = new Date();
  return {
    _id: new Types.ObjectId(), workspace_id: workspace, user_id: user, token, provider_key: 'apn', status: 'active',
    status_reason: null, properties: {}, created_at: now, updated_at: now, last_used_at: null, revision: 1,
    expiry_date: new Date(Date.now() + 60 * day), ...fields,
  };
}

beforeAll(async () => {
  const db = await openTestDatabase();
  uri = db.uri;
  close = db.close;
  model = tokenModel(db.connection);
  await model.collection.insertMany([
    doc('ws_a', 'u1', 'tok-a1'),
    doc('ws_a', 'u1', 'tok-a2', { provider_key: 'firebase-fcm', expiry_date: new Date(Date.now() + 3 * day) }),
    doc('ws_a', 'u2', 'tok-a3', { status: 'failed', updated_at: new Date(Date.now() - 40 * day) }),
    doc('ws_a', 'u2', 'tok-a4', { status: 'failed', updated_at: new Date(Date.now() - 5 * day) }),
    doc('ws_b', 'u9', 'tok-b1', { status: 'failed', updated_at: new Date(Date.now() - 90 * day) }),
    ...Array.from({ length: 25 }, (_, i) => doc('ws_c', `bulk${i}`, `tok-c${i}`, { status: 'failed', updated_at: new Date(Date.now() - 60 * day) })),
  ]);
}, 60_000);
afterAll(async () => {
  await close();
});

describe('admin CLI', () => {
  it('When stats runs, then it counts by workspace, provider and status, and what expires within 7 days', () => {
    const { code, stdout } = admin(['stats', '--workspace', 'ws_a']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/ws_a\s+apn\s+active\s+1/);
    expect(stdout).toMatch(/ws_a\s+apn\s+failed\s+2/);
    expect(stdout).toMatch(/ws_a\s+firebase-fcm\s+active\s+1/);
    expect(stdout).toContain('total 4; expiring in the next 7 days: 1');
  });

  it('When find runs by token or user, then it prints NDJSON', () => {
    const byToken = admin(['find', '--token', 'tok-a1']);
    expect(byToken.code).toBe(0);
    expect(JSON.parse(byToken.stdout.trim())).toMatchObject({ workspace_id: 'ws_a', user_id: 'u1', token: 'tok-a1', status: 'active' });
    const byUser = admin(['find', '--user', 'u2', '--workspace', 'ws_a']);
    expect(byUser.stdout.trim().split('\n').map((l) => JSON.parse(l).token)).toEqual(['tok-a3', 'tok-a4']);
  });

  it('When revoke runs, then the token is revoked; an unknown token is one error line and exit 1', async () => {
    const ok = admin(['revoke', '--workspace', 'ws_a', '--token', 'tok-a1', '--reason', 'lost phone']);
    expect(ok.code).toBe(0);
    expect(await model.findOne({ token: 'tok-a1' }).lean()).toMatchObject({ status: 'revoked', status_reason: 'lost phone', revision: 2 });
    const missing = admin(['revoke', '--workspace', 'ws_a', '--token', 'no-such-token']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^admin: no token/);
  });

  it('When purge runs without --yes, then it only counts; with --yes it deletes in batches with progress', async () => {
    const dry = admin(['purge', '--status', 'failed', '--older-than', '30d']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('dry run: would delete 27 token(s)');
    expect(await model.countDocuments({ status: 'failed' })).toBe(28);
    const real = admin(['purge', '--status', 'failed', '--older-than', '30d', '--yes', '--batch', '10']);
    expect(real.code).toBe(0);
    expect(real.stderr).toContain('deleted 10/27');
    expect(real.stderr).toContain('deleted 27/27');
    expect(await model.countDocuments({ status: 'failed' })).toBe(1); // tok-a4, failed 5 days ago
  });

  it('When export runs, then it writes one JSON line per token of the workspace', () => {
    const { code, stdout } = admin(['export', '--workspace', 'ws_a']);
    expect(code).toBe(0);
    const tokens = stdout.trim().split('\n').map((l) => JSON.parse(l).token);
    expect(tokens).toEqual(['tok-a1', 'tok-a2', 'tok-a4']);
  });

  it('When keys list runs, then keys are masked to their last 4 characters', () => {
    const { code, stdout } = admin(['keys', 'list'], { API_KEYS: 'ws_a:sk_secret_value_9876,ws_a:sk_readonly_5432=tokens:read' });
    expect(code).toBe(0);
    expect(stdout).toContain('ws_a  ****9876');
    expect(stdout).toContain('****5432  tokens:read');
    expect(stdout).not.toContain('sk_secret');
    const created = admin(['keys', 'create', '--workspace', 'ws_a', '--scopes', 'tokens:read+send']);
    expect(created.stdout.trim()).toMatch(/^ws_a:sk_[A-Za-z0-9]{20,}=tokens:read\+send$/);
  });

  it.each([
    [['frobnicate'], 2, /unknown command/],
    [['purge', '--status', 'failed', '--older-than', 'soon'], 2, /--older-than/],
    [['find'], 2, /exactly one of --token or --user/],
    [['stats', '--colour', 'red'], 2, /colour/],
  ])('When the arguments are %j, then it exits %i with one clear line', (args, exitCode, message) => {
    const { code, stderr } = admin(args);
    expect(code).toBe(exitCode);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });

  it('When signing-keys create runs, then it prints a private ES256 JWK with a kid that the service accepts', async () => {
    const { code, stdout } = admin(['signing-keys', 'create']);
    expect(code).toBe(0);
    const jwk = JSON.parse(stdout);
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: expect.any(String), d: expect.any(String) });
    const { SigningKeyRing } = await import('../../src/auth/signing-keys');
    expect((await SigningKeyRing.fromJwks({ keys: [jwk] }, 'cli output')).signer.kid).toBe(jwk.kid);
  });

  it('When credentials and apps are put from files, then they are stored encrypted; rekey moves them to a new key', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'admin-creds-'));
    const p8 = path.join(dir, 'AuthKey.p8');
    writeFileSync(p8, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const keys1 = admin(['credentials', 'new-key', '--key-id', 'k1']).stdout.trim();
    const env = { CREDENTIALS_KEYS: keys1 };
    const put = admin(['credentials', 'put', '--workspace', 'ws_cli', '--id', 'team-a', '--apn-key-file', p8, '--team-id', 'TEAMA00001', '--key-id', 'KEYA000001'], env);
    expect(put.code).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ credential_id: 'team-a', team_id: 'TEAMA00001', key_sha256: expect.any(String) });
    expect(put.stdout).not.toContain('PRIVATE KEY');
    expect(admin(['apps', 'put', '--workspace', 'ws_cli', '--id', 'com.example.app', '--apn-credential', 'team-a', '--environment', 'auto'], env).code).toBe(0);
    expect(JSON.parse(admin(['apps', 'list', '--workspace', 'ws_cli'], env).stdout)).toMatchObject({ app_id: 'com.example.app', apn: { credential_id: 'team-a', environment: 'auto' } });
    const bad = admin(['credentials', 'put', '--workspace', 'ws_cli', '--id', 'bad', '--apn-key-file', path.join(dir, 'missing.p8'), '--team-id', 'TEAMA00001', '--key-id', 'KEYA000001'], env);
    expect(bad.code).toBe(2);
    const keys2 = admin(['credentials', 'new-key', '--key-id', 'k2']).stdout.trim();
    const rekey = admin(['credentials', 'rekey'], { CREDENTIALS_KEYS: `${keys2},${keys1}` });
    expect(rekey.stdout).toContain('re-encrypted 1 credential');
    expect(admin(['credentials', 'list', '--workspace', 'ws_cli'], { CREDENTIALS_KEYS: keys2 }).code).toBe(0);
  });

  it('When Expo and OneSignal credentials are put from files, then the secrets are sealed and an app can name them', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'admin-creds-'));
    writeFileSync(path.join(dir, 'expo.txt'), 'expo-access-token-cli-1\n');
    writeFileSync(path.join(dir, 'onesignal.txt'), 'os_v2_app_cli_key_0123\n');
    const env = { CREDENTIALS_KEYS: admin(['credentials', 'new-key', '--key-id', 'k1']).stdout.trim() };
    const expo = admin(['credentials', 'put', '--workspace', 'ws_cli2', '--id', 'expo', '--expo', '--expo-access-token-file', path.join(dir, 'expo.txt')], env);
    expect(JSON.parse(expo.stdout)).toMatchObject({ provider_key: 'expo', has_access_token: true });
    const os1 = admin(['credentials', 'put', '--workspace', 'ws_cli2', '--id', 'os', '--onesignal-app-id', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', '--onesignal-api-key-file', path.join(dir, 'onesignal.txt')], env);
    expect(JSON.parse(os1.stdout)).toMatchObject({ provider_key: 'onesignal', app_id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479' });
    expect(`${expo.stdout}${os1.stdout}`).not.toMatch(/expo-access-token-cli-1|os_v2_app_cli_key_0123/);
    const app = admin(['apps', 'put', '--workspace', 'ws_cli2', '--id', 'com.example.rn', '--expo-credential', 'expo', '--onesignal-credential', 'os'], env);
    expect(JSON.parse(app.stdout)).toMatchObject({ expo: { credential_id: 'expo' }, onesignal: { credential_id: 'os' } });
    expect(admin(['credentials', 'put', '--workspace', 'ws_cli2', '--id', 'os2', '--onesignal-app-id', 'nope', '--onesignal-api-key-file', path.join(dir, 'onesignal.txt')], env).code).toBe(2);
  });

  it('When credentials new-vapid runs, then it prints a VAPID pair that credentials put takes for a webpush credential', () => {
    const generated = admin(['credentials', 'new-vapid']);
    expect(generated.code).toBe(0);
    const pair = Object.fromEntries(generated.stdout.trim().split('\n').map((line) => line.split('=') as [string, string]));
    expect(vapidProblems({ publicKey: pair.WEBPUSH_VAPID_PUBLIC_KEY!, privateKey: pair.WEBPUSH_VAPID_PRIVATE_KEY!, subject: 'mailto:a@b.c' })).toEqual([]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'admin-vapid-'));
    writeFileSync(path.join(dir, 'vapid.key'), `${pair.WEBPUSH_VAPID_PRIVATE_KEY}\n`);
    const env = { CREDENTIALS_KEYS: admin(['credentials', 'new-key', '--key-id', 'k1']).stdout.trim() };
    const put = admin(['credentials', 'put', '--workspace', 'ws_cli3', '--id', 'web', '--vapid-public-key', pair.WEBPUSH_VAPID_PUBLIC_KEY!, '--vapid-private-key-file', path.join(dir, 'vapid.key'), '--vapid-subject', 'mailto:ops@example.com'], env);
    expect(put.code).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ provider_key: 'webpush', vapid_public_key: pair.WEBPUSH_VAPID_PUBLIC_KEY, subject: 'mailto:ops@example.com' });
    expect(put.stdout).not.toContain(pair.WEBPUSH_VAPID_PRIVATE_KEY);
    expect(JSON.parse(admin(['apps', 'put', '--workspace', 'ws_cli3', '--id', 'web.example', '--webpush-credential', 'web'], env).stdout)).toMatchObject({ webpush: { credential_id: 'web' } });
  });

  it('When receipts check runs, then the due Expo receipts are read once: a dead token becomes failed and its ticket is done', async () => {
    const sim = await ExpoSimulator.start();
    const expo = new ExpoProvider({ baseUrl: new URL(sim.url) });
    try {
      const token = 'ExponentPushToken[admin-receipts-0001]';
      sim.stageReceipt(token, { status: 'error', error: 'DeviceNotRegistered' });
      const [sent] = await expo.send({ body: 'x' }, [token]);
      const tokenDoc = doc('ws_r', 'ur', token, { provider_key: 'expo', revision: 3 });
      await model.collection.insertOne(tokenDoc);
      const tickets = model.db.collection('expo_tickets');
      const past = new Date(Date.now() - 20 * 60_000);
      await tickets.insertOne({ _id: sent!.receiptId as never, workspace_id: 'ws_r', token_id: tokenDoc._id, token_revision: 3, credential_id: null, sent_at: past, check_after: past, expires_at: new Date(Date.now() + day) });
      // Not spawnSync: the simulator answers from this process.
      const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/admin.ts'), 'receipts', 'check'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MONGODB_URI: uri, EXPO_BASE_URL: sim.url, NODE_EXTRA_CA_CERTS: SIMULATOR_CA_FILE },
        timeout: 60_000,
      });
      expect(JSON.parse(stdout)).toMatchObject({ invalidated: 1, ok: 0, missing: 0 });
      expect(await model.collection.findOne({ _id: tokenDoc._id })).toMatchObject({ status: 'failed', status_reason: 'expo:DeviceNotRegistered', revision: 4 });
      expect(await tickets.countDocuments({ workspace_id: 'ws_r' })).toBe(0);
    } finally {
      await expo.close();
      await sim.close();
    }
  });

  it.each(['stats', 'find', 'revoke', 'purge', 'export', 'keys', 'signing-keys', 'credentials', 'apps', 'receipts'])('When %s --help runs, then it prints its usage', (command) => {
    const { code, stdout } = admin([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain(`usage: npm run admin -- ${command}`);
  });

  it.each([
    [['purge', '--status', 'failed', '--older-than', 'soon']],
    [['purge', '--status', 'gone', '--older-than', '30d']],
    [['revoke', '--token', 'tok-a1']],
    [['export']],
    [['find']],
  ])('When the arguments are wrong (%j) and no database is reachable, then it is still a usage error (exit 2)', (args) => {
    const { code, stderr } = admin(args, { MONGODB_URI: 'mongodb://127.0.0.1:1/none', MONGODB_TIMEOUT: '500ms' });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toMatch(/connect|ECONNREFUSED|Server selection/i);
  });

  it('When the database is unreachable, then it is one error line and exit 1', () => {
    const { code, stderr } = admin(['stats'], { MONGODB_URI: 'mongodb://127.0.0.1:1/none', MONGODB_TIMEOUT: '500ms' });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
