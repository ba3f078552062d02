import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { COUNT_COMMANDS, readCommandCounts, ROOT, startService } from './lib/procs';
import { round } from './lib/stats';

/**
 * `admin import` against the PUT path, on the same database (issue 33): rows of mixed providers
 * in one tokens-ndjson file (the format our own export writes), imported by the built CLI;
 * against the same rows through the PUT path, one request each, 32 at a time, each side into
 * an empty database of its own on the same server. Also the
 * import process's resident memory, sampled from /proc every 100 ms: its peak over its first
 * sample is what a file of any size costs (one batch in memory at a time).
 */
export type ImportBenchOptions = { mongoUri: string; putMongoUri: string; node: string; rows: number; connections: number; log: (line: string) => void };

const KEY = 'sk_bench_import_0123456789';

/** Row i: one of five providers in turn, as apps' tokens mix. */
function row(i: number): string {
  // Two tokens per user, as an app's users have a phone and a browser.
  const user = `user-${Math.floor(i / 2)}`;
  switch (i % 5) {
    case 0:
      return JSON.stringify({ user_id: user, token: `imp-${i}:APA91b${'i'.repeat(120)}`, provider_key: 'firebase-fcm', device: { app_id: 'com.example.app', platform: 'android' }, properties: { plan: 'pro' } });
    case 1:
      return JSON.stringify({ user_id: user, token: i.toString(16).padStart(64, 'b'), provider_key: 'apn', device: { app_id: 'com.example.app', platform: 'ios' } });
    case 2:
      return JSON.stringify({ user_id: user, token: `ExponentPushToken[imp${i.toString().padStart(17, '0')}]`, provider_key: 'expo' });
    case 3:
      return JSON.stringify({ user_id: user, token: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`, provider_key: 'onesignal' });
    default:
      return JSON.stringify({
        user_id: user, token: `https://fcm.googleapis.com/fcm/send/imp-${i}`, provider_key: 'webpush',
        keys: { p256dh: 'BMveLbXXssUTb7RJ31JipZyO6SfnUjWkttgA6J3iZ7gKYKY5m8DP8RxQqZt72vN1FrsK0E-15k_6js5gyhuQT2A', auth: '-hCYwPUpYNsVAe1ZN8ccnQ' },
      });
  }
}

async function writeFile(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < rows; i++) if (!out.write(`${row(i)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/** Every row through PUT /users/:user_id/tokens/:token, `concurrency` at a time: tokens per second. */
async function putEveryRow(url: string, rows: number, concurrency: number): Promise<number> {
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < rows; i = next++) {
      const { user_id, token, ...body } = JSON.parse(row(i)) as { user_id: string; token: string };
      const res = await fetch(`${url}/users/${encodeURIComponent(user_id)}/tokens/${encodeURIComponent(token)}`, { method: 'PUT', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.status !== 204) throw new Error(`PUT answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return rows / ((Date.now() - started) / 1000);
}

function rssMiB(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function importBenchmark(options: ImportBenchOptions) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-import-'));
  const file = path.join(dir, 'tokens.ndjson');
  try {
    await writeFile(file, options.rows);
    // The PUT path first, with the same rows, each its own PUT (32 at a time, as the HTTP
    // benchmark's load), into a database of its own, so each side starts from an empty one.
    const { proc, url } = await startService({ node: options.node, core: 0, nodeArgs: COUNT_COMMANDS, env: { MONGODB_URI: options.putMongoUri, API_KEYS: `ws_put:${KEY}` } });
    let putRps: number;
    let putCommands: Record<string, number>;
    try {
      await readCommandCounts(proc);
      putRps = await putEveryRow(url, options.rows, options.connections);
      putCommands = await readCommandCounts(proc);
    } finally {
      await proc.stop();
    }
    options.log(`import: the PUT path ${round(putRps, 0)} tokens/s`);

    const started = Date.now();
    // As `npm run admin` runs it: V8's young generation held at 16 MiB (Node 22+ grows it with the heap limit).
    const child = spawn(options.node, ['--max-semi-space-size=16', ...COUNT_COMMANDS, path.join(ROOT, 'dist/cli/admin.js'), 'import', '--workspace', 'ws_import', '--format', 'tokens-ndjson', file, '--json'], {
      cwd: ROOT,
      env: { ...process.env, MONGODB_URI: options.mongoUri },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const samples: number[] = [];
    const sampler = setInterval(() => {
      const rss = child.pid !== undefined ? rssMiB(child.pid) : undefined;
      if (rss !== undefined) samples.push(rss);
    }, 100);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearInterval(sampler);
    const seconds = (Date.now() - started) / 1000;
    if (code !== 0) throw new Error(`import exited ${code}`);
    const lines = stdout.trim().split('\n');
    const report = JSON.parse(lines.find((l) => l.startsWith('{'))!) as { counts: { rows: number; created: number; bad: number } };
    const importCommands = JSON.parse(lines.find((l) => l.startsWith('bench-commands '))!.slice('bench-commands '.length)) as Record<string, number>;
    // Database commands per 1,000 rows, each side, from the driver's command monitoring.
    const per1000 = (commands: Record<string, number>) => Object.fromEntries(Object.entries(commands).map(([k, n]) => [k, round((1000 * n) / options.rows, 1)]).filter(([, n]) => (n as number) >= 0.1));
    const importRps = report.counts.rows / seconds;
    const start = samples[0] ?? 0;
    const peak = Math.max(...samples);
    options.log(`import: ${options.rows} rows in ${round(seconds, 1)} s, ${round(importRps, 0)} rows/s (${round(importRps / putRps, 1)}× the PUT path); RSS ${round(start, 0)} → peak ${round(peak, 0)} MiB`);
    return {
      rows: options.rows,
      file_mib: round(statSync(file).size / 2 ** 20, 1),
      created: report.counts.created,
      bad: report.counts.bad,
      seconds: round(seconds, 1),
      import_rows_per_second: round(importRps, 0),
      put_tokens_per_second: round(putRps, 0),
      import_over_put: round(importRps / putRps, 1),
      rss_start_mib: round(start, 0),
      rss_peak_mib: round(peak, 0),
      rss_growth_mib: round(peak - start, 0),
      commands_per_1000_rows: { import: per1000(importCommands), put: per1000(putCommands) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
