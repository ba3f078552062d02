import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Types } from 'mongoose';
import { ensureIndexes } from '../../src/services';
import { tokenModel, type TokenModel } from '../../src/tokens/token-model';
import { openTestDatabase } from '../support/test-db';

/**
 * `admin import` as a real process against the test database (issue 33): each format's sample
 * file under docs/import/, every stored token checked field by field, bad rows reported with
 * their line and field, dry runs, idempotence, gzip, stdin, and an export piped into an import.
 */
const ROOT = path.resolve(__dirname, '../..');
const SAMPLES = path.join(ROOT, 'docs/import');
let uri: string;
let model: TokenModel;
let close: () => Promise<void>;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'import-test-'));

function admin(args: string[], input?: string | Buffer) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/admin.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MONGODB_URI: uri },
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 256 * 1024 * 1024,
    ...(input !== undefined ? { input } : {}),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const importJson = (workspace: string, format: string, file: string, ...more: string[]) => {
  const result = admin(['import', '--workspace', workspace, '--format', format, file, '--json', ...more]);
  if (result.code !== 0) throw new Error(`import failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as { counts: Record<string, unknown> & { skipped: Record<string, number> }; bad_rows: { line: number; problems: { path: string }[] }[]; dry_run: boolean };
};
const stored = async (workspace: string) => {
  const docs = await model.collection.find({ workspace_id: workspace }).sort({ _id: 1 }).toArray();
  return new Map(docs.map((d) => [d.token as string, d]));
};

beforeAll(async () => {
  const db = await openTestDatabase();
  uri = db.uri;
  close = db.close;
  model = tokenModel(db.connection);
  await ensureIndexes(db);
}, 60_000);
afterAll(async () => {
  await close();
});

describe('onesignal-csv', () => {
  it('maps each device_type it serves, skips the rest by kind, keys anonymous rows, imports invalid ones as failed, and names a bad row’s line and field', async () => {
    const report = importJson('ws_os', 'onesignal-csv', path.join(SAMPLES, 'onesignal-subscriptions.csv'));
    expect(report.counts).toMatchObject({ rows: 10, created: 6, imported_failed: 1, bad: 1, skipped: { email: 1, sms: 1, amazon: 1 } });
    expect(report.bad_rows).toEqual([{ line: 11, problems: [{ path: 'tags', message: 'is not a JSON object' }] }]);
    const tokens = await stored('ws_os');
    const ios = tokens.get('336c693a0e76ea49339705393001820b3bf2d5d7b796cbf98a0c9342946ebed6')!;
    expect(ios).toMatchObject({
      user_id: 'alice',
      provider_key: 'apn',
      status: 'active',
      device: { platform: 'ios', model: 'iPhone15,2', app_version: '2.4.1' },
      tracking: { os_version: '17.5' },
      properties: { plan: 'pro', team: 'arsenal', onesignal: { player_id: '0a1b2c3d-0000-4000-8000-000000000001', language: 'en', timezone: '-18000' } },
    });
    // OptedOut is no advertising id.
    expect(ios.device.ad_id).toBeUndefined();
    expect(tokens.get('dQw4w9WgXcQ:APA91bHPRgkFLJu6Fk0wX9a2b3c4d5e6f7g8h9i0j')).toMatchObject({ user_id: 'bob', provider_key: 'firebase-fcm', device: { platform: 'android', model: 'Pixel 8', ad_id: '3f2504e0-4f89-11d3-9a0c-0305e82c3301', app_version: '241' }, properties: { plan: 'free' } });
    expect(tokens.get('https://fcm.googleapis.com/fcm/send/cXlG3m9sT0:APA91bExampleWebPushEndpointToken')).toMatchObject({
      user_id: 'carol', provider_key: 'webpush', device: { platform: 'web' }, keys: { auth: '-hCYwPUpYNsVAe1ZN8ccnQ', p256dh: 'BMveLbXXssUTb7RJ31JipZyO6SfnUjWkttgA6J3iZ7gKYKY5m8DP8RxQqZt72vN1FrsK0E-15k_6js5gyhuQT2A' },
    });
    expect(tokens.get('https://updates.push.services.mozilla.com/wpush/v2/gAAAAABexampleFirefoxEndpoint')).toMatchObject({ user_id: 'carol', provider_key: 'webpush' });
    expect(tokens.get('effa46f88a254cf40ae49853d5008a7c78de315adc02b78e9dd84f3cda418568')).toMatchObject({ user_id: 'anonymous:0a1b2c3d-0000-4000-8000-000000000005' });
    expect(tokens.get('3bd6da68cec0e03a2c06c0a33f725440e2b235dd22cee4fd58c6490bd19bb8c4')).toMatchObject({ user_id: 'dave', status: 'failed', status_reason: 'onesignal:invalid_identifier (imported)' });
    expect(tokens.size).toBe(6);
  });

  it('--skip-anonymous, --skip-invalid and --anonymous-prefix', async () => {
    const skipping = importJson('ws_os2', 'onesignal-csv', path.join(SAMPLES, 'onesignal-subscriptions.csv'), '--skip-anonymous', '--skip-invalid');
    expect(skipping.counts).toMatchObject({ created: 4, skipped: { anonymous: 1, invalid: 1 } });
    importJson('ws_os3', 'onesignal-csv', path.join(SAMPLES, 'onesignal-subscriptions.csv'), '--anonymous-prefix', 'os-');
    expect((await stored('ws_os3')).get('effa46f88a254cf40ae49853d5008a7c78de315adc02b78e9dd84f3cda418568')).toMatchObject({ user_id: 'os-0a1b2c3d-0000-4000-8000-000000000005' });
  });

  it('the same file again changes nothing: every token is unchanged', async () => {
    const before = await stored('ws_os');
    const again = importJson('ws_os', 'onesignal-csv', path.join(SAMPLES, 'onesignal-subscriptions.csv'));
    expect(again.counts).toMatchObject({ created: 0, updated: 0, unchanged: 6 });
    const after = await stored('ws_os');
    for (const [token, doc] of before) expect(after.get(token)).toEqual(doc);
  });
});

describe('parse-installations', () => {
  it('maps iOS, tvOS and Android (GCM and FCM push types) from a {"results": […]} export, users from pointers or ids, and skips the rest', async () => {
    const report = importJson('ws_parse', 'parse-installations', path.join(SAMPLES, 'parse-installations.json'));
    expect(report.counts).toMatchObject({ rows: 7, created: 4, bad: 0, skipped: { 'pushType ppns': 1, no_token: 1, 'deviceType win': 1 } });
    const tokens = await stored('ws_parse');
    expect(tokens.get('336c693a0e76ea49339705393001820b3bf2d5d7b796cbf98a0c9342946ebed7')).toMatchObject({
      user_id: 'parseUserA',
      provider_key: 'apn',
      device: { app_id: 'com.example.app', device_id: '5d9e3a10-0000-4000-8000-000000000001', platform: 'ios', app_version: '3.1.0' },
      properties: { parse: { installation_id: '5d9e3a10-0000-4000-8000-000000000001', object_id: 'inst001', time_zone: 'Europe/London', locale: 'en-GB', badge: 3, channels: ['news', 'sports'] } },
    });
    expect(tokens.get('APA91bGcmEraRegistrationTokenExample0123456789')).toMatchObject({ user_id: 'parseUserB', provider_key: 'firebase-fcm', device: { platform: 'android' }, properties: { parse: { push_type: 'gcm' } } });
    expect(tokens.get('eXaMpLe:APA91bFcmRegistrationTokenExample0123456789')).toMatchObject({ user_id: 'parseUserB', provider_key: 'firebase-fcm' });
    expect(tokens.get('effa46f88a254cf40ae49853d5008a7c78de315adc02b78e9dd84f3cda418569')).toMatchObject({ user_id: 'anonymous:5d9e3a10-0000-4000-8000-000000000004', device: { platform: 'tvos', app_id: 'com.example.tv' } });
  });

  it('reads a JSON array and NDJSON the same, gzipped or not, from a file or stdin', async () => {
    const { results } = JSON.parse(readFileSync(path.join(SAMPLES, 'parse-installations.json'), 'utf8')) as { results: object[] };
    const array = path.join(tmp, 'installations.json.gz');
    writeFileSync(array, gzipSync(JSON.stringify(results, null, 2)));
    expect(importJson('ws_parse_array', 'parse-installations', array).counts).toMatchObject({ rows: 7, created: 4 });
    const ndjson = results.map((r) => JSON.stringify(r)).join('\n');
    const piped = admin(['import', '--workspace', 'ws_parse_nd', '--format', 'parse-installations', '-', '--json'], gzipSync(ndjson));
    expect(piped.code).toBe(0);
    expect(JSON.parse(piped.stdout).counts).toMatchObject({ rows: 7, created: 4 });
  });
});

describe('tokens-csv and tokens-ndjson', () => {
  it('imports each with the API’s validation: a bad row names its line and field, and the rest go in', async () => {
    const csv = importJson('ws_tok', 'tokens-csv', path.join(SAMPLES, 'tokens.csv'));
    expect(csv.counts).toMatchObject({ rows: 3, created: 3, bad: 0 });
    const tokens = await stored('ws_tok');
    expect(tokens.get('ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]')).toMatchObject({ user_id: 'alice', provider_key: 'expo', device: { app_id: 'com.example.app', platform: 'ios', model: 'iPhone 15', app_version: '2.0.0' }, tracking: { os_version: '17.5' }, properties: { plan: 'pro' } });
    expect(tokens.get('f1e2d3c4-0000-4000-8000-000000000123')).toMatchObject({ user_id: 'bob', provider_key: 'onesignal' });
    const nd = importJson('ws_tok', 'tokens-ndjson', path.join(SAMPLES, 'tokens.ndjson'));
    expect(nd.counts).toMatchObject({ rows: 2, created: 2 });
    expect((await stored('ws_tok')).get('336c693a0e76ea49339705393001820b3bf2d5d7b796cbf98a0c9342946ebed8')).toMatchObject({ user_id: 'bob', status: 'revoked', status_reason: 'replaced' });
    expect((await stored('ws_tok')).get('336c693a0e76ea49339705393001820b3bf2d5d7b796cbf98a0c9342946ebed8')!.expiry_date).toBeUndefined();

    const bad = path.join(tmp, 'bad.ndjson');
    writeFileSync(bad, [
      JSON.stringify({ user_id: 'ok', token: 'fcm-ok:APA91b', provider_key: 'firebase-fcm' }),
      JSON.stringify({ user_id: 'x', token: 'not-expo', provider_key: 'expo' }),
      'not json',
      JSON.stringify({ user_id: 'x', token: 'https://evil.example.com/push', provider_key: 'webpush', keys: { p256dh: 'BMveLbXXssUTb7RJ31JipZyO6SfnUjWkttgA6J3iZ7gKYKY5m8DP8RxQqZt72vN1FrsK0E-15k_6js5gyhuQT2A', auth: '-hCYwPUpYNsVAe1ZN8ccnQ' } }),
      JSON.stringify({ user_id: '', token: 'fcm-2:APA91b', provider_key: 'firebase-fcm' }),
      JSON.stringify({ user_id: 'x', token: 'fcm-3:APA91b', provider_key: 'firebase-fcm', device: { colour: 'red' } }),
      JSON.stringify({ user_id: 'ok2', token: 'fcm-ok2:APA91b', provider_key: 'firebase-fcm' }),
    ].join('\n'));
    const report = importJson('ws_bad', 'tokens-ndjson', bad);
    expect(report.counts).toMatchObject({ rows: 7, created: 2, bad: 5 });
    expect(report.bad_rows.map((b) => [b.line, b.problems.map((p) => p.path)])).toEqual([
      [2, ['token']],
      [3, ['line']],
      // Not a push service the allowlist knows (WEBPUSH_ALLOWED_HOSTS).
      [4, ['token']],
      [5, expect.arrayContaining(['user_id'])],
      [6, ['device.colour']],
    ]);
  });

  it('a dry run reports what a real run would, and writes nothing', async () => {
    const dry = importJson('ws_dry', 'onesignal-csv', path.join(SAMPLES, 'onesignal-subscriptions.csv'), '--dry-run');
    expect(dry.dry_run).toBe(true);
    expect(dry.counts).toMatchObject({ rows: 10, created: 6, bad: 1, skipped: { email: 1, sms: 1, amazon: 1 } });
    expect((await stored('ws_dry')).size).toBe(0);
    const real = importJson('ws_dry', 'onesignal-csv', path.join(SAMPLES, 'onesignal-subscriptions.csv'));
    expect({ ...real.counts }).toEqual({ ...dry.counts });
  });

  it('a token another user holds moves to the importing row’s user, counted as transferred', async () => {
    const file = path.join(tmp, 'move.ndjson');
    writeFileSync(file, JSON.stringify({ user_id: 'first', token: 'fcm-move:APA91b', provider_key: 'firebase-fcm' }));
    importJson('ws_move', 'tokens-ndjson', file);
    writeFileSync(file, JSON.stringify({ user_id: 'second', token: 'fcm-move:APA91b', provider_key: 'firebase-fcm' }));
    expect(importJson('ws_move', 'tokens-ndjson', file).counts).toMatchObject({ transferred: 1 });
    expect((await stored('ws_move')).get('fcm-move:APA91b')).toMatchObject({ user_id: 'second' });
  });

  it('a usage mistake is exit 2 and one line', () => {
    expect(admin(['import', '--workspace', 'w', '--format', 'xml', 'f']).code).toBe(2);
    const wrong = path.join(tmp, 'wrong.csv');
    writeFileSync(wrong, 'name,email\nalice,alice@example.com\n');
    const refused = admin(['import', '--workspace', 'w', '--format', 'tokens-csv', wrong]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/tokens-csv needs the columns user_id, token, provider_key/);
    expect(admin(['import', '--workspace', 'w', '--format', 'tokens-csv', '-', '--resume']).code).toBe(2);
    expect(admin(['import', '--workspace', 'w', '--format', 'tokens-csv', path.join(SAMPLES, 'tokens.csv'), '--dry-run', '--resume']).stderr).toMatch(/--dry-run keeps no checkpoint/);
  });
});

describe('export and import', () => {
  it('an export imported into another workspace gives the same export, CSV as well as NDJSON', async () => {
    const exported = admin(['export', '--workspace', 'ws_os']);
    expect(exported.code).toBe(0);
    const file = path.join(tmp, 'export.ndjson');
    writeFileSync(file, exported.stdout);
    expect(importJson('ws_copy', 'tokens-ndjson', file).counts).toMatchObject({ created: 6, bad: 0 });
    const strip = (text: string) => text.trim().split('\n').map((line) => ({ ...JSON.parse(line), id: undefined, workspace_id: undefined }));
    expect(strip(admin(['export', '--workspace', 'ws_copy']).stdout)).toEqual(strip(exported.stdout));

    const csv = admin(['export', '--workspace', 'ws_os', '--format', 'tokens-csv', '--provider', 'webpush']);
    expect(csv.stdout.split('\n')[0]).toBe('user_id,token,provider_key,status,status_reason,app_id,device_id,platform,manufacturer,model,app_version,os_version,expiry_date,p256dh,auth,properties');
    expect(csv.stdout.trim().split('\n')).toHaveLength(3);
    const csvFile = path.join(tmp, 'export.csv');
    writeFileSync(csvFile, csv.stdout);
    expect(importJson('ws_csv_copy', 'tokens-csv', csvFile).counts).toMatchObject({ created: 2, bad: 0 });
    expect(admin(['export', '--workspace', 'ws_os', '--status', 'failed']).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('export piped into import carries every one of 20,000 tokens', async () => {
    const now = new Date();
    await model.collection.insertMany(
      Array.from({ length: 20_000 }, (_, i) => ({
        _id: new Types.ObjectId(), workspace_id: 'ws_big', user_id: `u${i % 2000}`, token: `fcm-big-${i}:APA91b${'z'.repeat(100)}`, provider_key: 'firebase-fcm', status: 'active', status_reason: null,
        properties: { n: i }, created_at: now, updated_at: now, last_used_at: null, revision: 1, expiry_date: new Date(now.getTime() + 30 * 86_400_000),
      })),
    );
    const cli = ['--import', 'tsx', path.join(ROOT, 'src/cli/admin.ts')];
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MONGODB_URI: uri };
    const exporter = spawn(process.execPath, [...cli, 'export', '--workspace', 'ws_big'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const importer = spawn(process.execPath, [...cli, 'import', '--workspace', 'ws_big_copy', '--format', 'tokens-ndjson', '-', '--json'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    exporter.stdout.pipe(importer.stdin);
    let out = '';
    importer.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [exportCode, importCode] = await Promise.all([new Promise((resolve) => exporter.on('close', resolve)), new Promise((resolve) => importer.on('close', resolve))]);
    expect([exportCode, importCode]).toEqual([0, 0]);
    expect(JSON.parse(out).counts).toMatchObject({ rows: 20_000, created: 20_000, bad: 0 });
    expect(await model.collection.countDocuments({ workspace_id: 'ws_big_copy' })).toBe(20_000);
  }, 120_000);
});
