import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `npm run bench:smoke`, a CI step of its own (.ci/run), not part of `npm test`: every
 * benchmark in its smoke version (a second or a few thousand tokens each), to keep the harness
 * working. It checks each benchmark's correctness checks and that each wrote its figures as
 * finite, positive numbers, never how fast anything was: timings on these machines are noise.
 */
const ROOT = path.resolve(__dirname, '..');
const out = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/run.ts'), '--smoke', '--out', out], { cwd: ROOT, stdio: 'inherit', timeout: 900_000 });
if (run.status !== 0) {
  process.stderr.write(`bench smoke: npm run bench --smoke exited ${run.status ?? run.signal}\n`);
  process.exit(1);
}

const read = (name: string) => JSON.parse(readFileSync(path.join(out, `${name}.json`), 'utf8')).result as Record<string, unknown>;
const figure = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value > 0;
const checks: [string, boolean][] = [];
const check = (name: string, ok: boolean) => checks.push([name, ok]);

for (const name of ['put', 'get']) {
  const result = read(name);
  check(`${name}: throughput ratio is a figure`, figure(result.throughput_ratio_median));
  check(`${name}: p99 ratio is a figure`, figure(result.p99_ratio_median));
  check(`${name}: no request failed`, result.errors === 0);
}
const userToken = read('user-token');
check('user-token: ratio is a figure', figure(userToken.ratio_median));
check('user-token: no request failed', userToken.errors === 0);
const apps = read('apps');
check('apps: throughput ratio is a figure', figure(apps.throughput_ratio_median));
check('apps: 50 live clients after the 50-app send', apps.live_clients === 50);
check('apps: memory with 50 clients measured', figure((apps.rss_mib as Record<string, unknown>).with_50_clients));
const send = read('send');
check('send: every dead token invalidated exactly once', send.every_dead_invalidated_once === true);
check('send: no refused streams', send.no_refused_streams === true);
check('send: in-flight caps respected', send.in_flight_caps_respected === true);
check('send: ratio is a figure', figure(send.ratio_median));
check('send: the mix includes Web Push', Number((send.mix as Record<string, unknown> | undefined)?.webpush) > 0);
check('send: bytes per message of the message log measured', figure((send.messages as Record<string, unknown> | undefined)?.bson_bytes_mean));
const broadcast = read('broadcast');
check('broadcast: every dead token invalidated', broadcast.every_dead_invalidated === true);
check('broadcast: no token left retryable', broadcast.no_retryable === true);
check('broadcast: ratios (one and two replicas) are figures', figure(broadcast.one_replica_ratio_median) && figure(broadcast.two_replicas_ratio_median));
check('broadcast: bytes kept per delivered token measured', figure((broadcast.kept as Record<string, unknown>).bytes_per_delivered_token));
check('storage: BSON bytes per document measured', figure(read('storage').bson_bytes_per_document));
const runtime = read('runtime');
check('runtime: Node 24 over Node 20 measured (or skipped with a reason)', Boolean(runtime.skipped ?? figure(runtime.node24_over_node20_median)));
for (const name of ['put', 'get']) {
  const operations = read(name).operations as { same: boolean }[] | undefined;
  check(`${name}: every side sends the same database commands`, Array.isArray(operations) && operations.length > 0 && operations.every((o) => o.same));
}
const liveMemory = apps.live_memory_per_client as Record<string, unknown> | undefined;
check('apps: live memory per client measured after a GC', typeof liveMemory?.rss_mib_median === 'number');
const imported = read('import');
check('import: every row created, none bad', imported.created === imported.rows && imported.bad === 0);
check('import: ratio to the PUT path is a figure', figure(imported.import_over_put));
for (const name of ['profile-put', 'profile-send']) {
  const profile = read(name);
  check(`${name}: a top-15 table and groups`, Array.isArray(profile.top) && (profile.top as unknown[]).length > 0 && Array.isArray(profile.groups));
}

for (const [name, ok] of checks) process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}\n`);
const failed = checks.filter(([, ok]) => !ok).length;
process.stdout.write(`smoke: ${checks.length - failed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
