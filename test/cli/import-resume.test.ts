import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from 'mongodb';
import { IMPORT_CHECKPOINTS } from '../../src/cli/import/checkpoint';
import { ensureIndexes } from '../../src/services';
import { openTestDatabase } from '../support/test-db';
import { waitFor } from '../support/wait-for';

/**
 * `admin import --resume` after the process was killed (issue 33): SIGKILL mid-file, at a
 * moment the test does not choose, and at the one moment that matters most (a batch written
 * but not yet committed to the checkpoint); then the same command with --resume. The final
 * counts and the stored tokens equal those of an uninterrupted import of the same file.
 */
const ROOT = path.resolve(__dirname, '../..');
const ROWS = 12_000;
let uri: string;
let db: Db;
let close: () => Promise<void>;
const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'import-resume-')), 'tokens.ndjson');

const cli = ['--import', 'tsx', path.join(ROOT, 'src/cli/admin.ts')];
const env = (more: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MONGODB_URI: uri, ...more });
const importArgs = (workspace: string, ...more: string[]) => ['import', '--workspace', workspace, '--format', 'tokens-ndjson', file, '--json', '--batch', '300', ...more];

function run(args: string[], extraEnv: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [...cli, ...args], { cwd: ROOT, env: env(extraEnv), encoding: 'utf8', timeout: 240_000 });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** What a reader of the workspace sees, without the times of writing (they differ by run). */
async function tokensOf(workspace: string): Promise<unknown[]> {
  const docs = await db.collection('tokens').find({ workspace_id: workspace }, { projection: { _id: 0, workspace_id: 0, created_at: 0, updated_at: 0, expiry_date: 0, revision: 0 } }).sort({ token: 1 }).toArray();
  return docs;
}

beforeAll(async () => {
  const opened = await openTestDatabase();
  uri = opened.uri;
  db = opened.db;
  close = opened.close;
  await ensureIndexes(opened);
  const providers = [
    (i: number) => ({ provider_key: 'firebase-fcm', token: `fcm-${i}:APA91b${'r'.repeat(60)}` }),
    (i: number) => ({ provider_key: 'apn', token: i.toString(16).padStart(64, 'a') }),
    (i: number) => ({ provider_key: 'expo', token: `ExponentPushToken[resume${i.toString().padStart(14, '0')}]` }),
  ];
  const lines = Array.from({ length: ROWS }, (_, i) => JSON.stringify({ user_id: `user-${i % 1500}`, ...providers[i % 3]!(i), properties: { n: i }, ...(i % 97 === 0 ? { status: 'failed', status_reason: 'dead at the source' } : {}) }));
  // Some rows the API refuses, and one token twice: the counts must still match.
  lines.splice(5000, 0, JSON.stringify({ user_id: 'x', token: 'not-expo', provider_key: 'expo' }));
  lines.splice(7000, 0, lines[100]!);
  writeFileSync(file, `${lines.join('\n')}\n`);
}, 120_000);
afterAll(async () => {
  await close();
});

it('killed at a moment it does not choose, then resumed: the same counts and the same tokens as an uninterrupted import', async () => {
  const reference = run(importArgs('ws_ref'));
  expect(reference.code).toBe(0);

  const child = spawn(process.execPath, [...cli, ...importArgs('ws_killed')], { cwd: ROOT, env: env(), stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // Killed once a few batches are in, well before the end.
  await waitFor(async () => ((await db.collection(IMPORT_CHECKPOINTS).findOne({ workspace_id: 'ws_killed' }))?.line ?? 0) >= 1500, 'the import to commit some batches');
  child.kill('SIGKILL');
  await exited;
  const checkpoint = await db.collection(IMPORT_CHECKPOINTS).findOne({ workspace_id: 'ws_killed' });
  expect(checkpoint?.finished_at).toBeUndefined();
  expect(checkpoint?.line).toBeLessThan(ROWS);

  const resumed = run(importArgs('ws_killed', '--resume'));
  expect(resumed.code).toBe(0);
  const ref = JSON.parse(reference.stdout);
  const res = JSON.parse(resumed.stdout);
  expect(res.resumed_from_line).toBeGreaterThan(0);
  expect(res.counts).toEqual(ref.counts);
  expect(res.bad_rows).toEqual(ref.bad_rows);
  expect(await tokensOf('ws_killed')).toEqual(await tokensOf('ws_ref'));
}, 300_000);

it('killed after a batch was written but before its checkpoint: resumed, that batch is counted once', async () => {
  const killed = run(importArgs('ws_crash'), { CRASH_POINT: 'import:after-batch' });
  expect(killed.signal).toBe('SIGKILL');
  const checkpoint = await db.collection(IMPORT_CHECKPOINTS).findOne({ workspace_id: 'ws_crash' });
  expect(checkpoint?.pending).toBeDefined();
  expect(checkpoint?.line).toBe(0);

  const resumed = run(importArgs('ws_crash', '--resume'));
  expect(resumed.code).toBe(0);
  const ref = JSON.parse(run(importArgs('ws_ref2')).stdout);
  expect(JSON.parse(resumed.stdout).counts).toEqual(ref.counts);
  expect(await tokensOf('ws_crash')).toEqual(await tokensOf('ws_ref2'));
  // A finished import resumed again reports and writes nothing more.
  const again = run(importArgs('ws_crash', '--resume'));
  expect(JSON.parse(again.stdout).counts).toEqual(ref.counts);
}, 300_000);
