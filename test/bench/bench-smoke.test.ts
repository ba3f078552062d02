import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Keeps the benchmark harness working: every benchmark in its smoke version (a second or a few
 * thousand tokens each). It checks that each produced its figures and its correctness checks,
 * never how fast anything was.
 */
const ROOT = path.resolve(__dirname, '../..');

it('When npm run bench runs in smoke mode, then every benchmark writes its figures', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/run.ts'), '--smoke', '--out', out], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (run.status !== 0) throw new Error(`bench failed:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-2000)}`);
  const read = (name: string) => JSON.parse(readFileSync(path.join(out, `${name}.json`), 'utf8')).result;
  for (const name of ['put', 'get']) {
    const result = read(name);
    expect(result.throughput_ratio_median).toBeGreaterThan(0);
    expect(result.p99_ratio_median).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
  }
  const userToken = read('user-token');
  expect(userToken.ratio_median).toBeGreaterThan(0);
  expect(userToken.errors).toBe(0);
  const apps = read('apps');
  expect(apps.throughput_ratio_median).toBeGreaterThan(0);
  expect(apps.live_clients).toBe(50);
  expect(apps.rss_mib.with_50_clients).toBeGreaterThan(0);
  const send = read('send');
  expect(send.every_dead_invalidated_once).toBe(true);
  expect(send.no_refused_streams).toBe(true);
  expect(send.in_flight_caps_respected).toBe(true);
  expect(send.ratio_median).toBeGreaterThan(0);
  expect(read('storage').bson_bytes_per_document).toBeGreaterThan(100);
  const runtime = read('runtime');
  expect(runtime.skipped ?? runtime.node24_over_node20_median).toBeTruthy();
}, 600_000);
