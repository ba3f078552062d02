import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAnyMongo } from '../test/support/any-mongo';
import { BENCH_HEADERS, BENCH_KEY, httpBenchmarks, PUT_BODY, runtimeBenchmark } from './http-benchmarks';
import { profilePut, profileSend } from './profile-benchmark';
import { importBenchmark } from './import-benchmark';
import { nodeVersion, pinning, ROOT } from './lib/procs';
import { sendBenchmark } from './send-benchmark';
import { storageBenchmark } from './storage-benchmark';
import { userTokenBenchmark } from './user-token-benchmark';
import { appsBenchmark } from './apps-benchmark';
import { broadcastBenchmark } from './broadcast-benchmark';
import { renderPerformanceDoc } from './report';
import { buildAt, removeBuild } from './lib/baseline-build';

/**
 * `npm run bench` runs every benchmark and writes bench/results/<name>.json and
 * docs/performance.md. `--smoke` runs each for a few seconds (CI does, as `npm run bench:smoke`) and
 * writes only to `--out DIR`. Every figure is a ratio against a baseline measured in the same
 * run; nothing here asserts a timing.
 */
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const smoke = process.argv.includes('--smoke');
/** The send as it was before the message log (issue 19's comparison), measured only when asked: that build predates Web Push, so the mix then leaves it out. */
const withoutMessagesWanted = process.argv.includes('--without-messages');
const only = arg('only')?.split(',');
const outDir = path.resolve(arg('out') ?? path.join(ROOT, 'bench/results'));
const log = (line: string) => process.stdout.write(`${line}\n`);

/** The last commit before the message log: the send benchmark's "without the messages" side. */
const BEFORE_MESSAGE_LOG = 'd35bd01';

const PLAN = smoke
  ? { rounds: 1, seconds: 1, connections: 8, sendTokens: 1000, storageTokens: 5000, broadcastTokens: 2000 }
  : { rounds: 5, seconds: 6, connections: 32, sendTokens: 10_000, storageTokens: 1_000_000, broadcastTokens: 100_000 };

/** A Node.js binary of `major`: this process's own when it is that version, else the npm package node@<major> (as CI gets Node 24). */
function nodeBinary(major: string): string | undefined {
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  const result = spawnSync('npx', ['-y', `node@${major}`, '-p', 'process.execPath'], { encoding: 'utf8', timeout: 300_000 });
  const binary = result.stdout.trim().split('\n').pop();
  return result.status === 0 && binary ? binary : undefined;
}

/**
 * The runtime every server under test runs on: Node 24 by default, the image's runtime
 * (`--node 20` for the other one CI tests). Results of another runtime than 24 are written
 * beside the default ones (put.node20.json) and shown in their own table.
 */
const NODE_MAJOR = arg('node') ?? '24';
const suffix = NODE_MAJOR === '24' ? '' : `.node${NODE_MAJOR}`;

async function main() {
  // The load generator (this process) and the database it starts run on core 1; servers on core 0.
  if (pinning === 'taskset') spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  mkdirSync(outDir, { recursive: true });
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const serverNode = nodeBinary(NODE_MAJOR);
  if (!serverNode) throw new Error(`no Node ${NODE_MAJOR} binary: npx -y node@${NODE_MAJOR} failed (use --node ${process.versions.node.split('.')[0]} to measure on this process's Node.js)`);
  log(`servers under test run on Node ${nodeVersion(serverNode)} (${serverNode})`);
  const mongo = await startAnyMongo({ log });
  const dbUri = (name: string) => {
    const url = new URL(mongo.uri);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const meta = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: nodeVersion(serverNode),
    mongodb: mongo.engine,
    pinning,
    mode: smoke ? 'smoke' : 'full',
    plan: PLAN,
  };
  const results: Record<string, unknown> = {};
  const save = (name: string, result: unknown) => {
    results[name] = result;
    const file = path.join(outDir, `${name}${suffix}.json`);
    writeFileSync(file, `${JSON.stringify({ ...meta, result }, null, 2)}\n`);
    log(`wrote ${file}`);
  };
  const want = (name: string) => !only || only.includes(name);
  const http = { node: serverNode, rounds: PLAN.rounds, seconds: PLAN.seconds, connections: PLAN.connections, log };
  try {
    if (want('put') || want('get')) {
      const { put, get } = await httpBenchmarks({ ...http, mongoUri: dbUri(`bench_http_${Date.now()}`) });
      save('put', put);
      save('get', get);
    }
    if (want('user-token')) save('user-token', await userTokenBenchmark({ ...http, mongoUri: dbUri(`bench_user_token_${Date.now()}`) }));
    if (want('apps')) save('apps', await appsBenchmark({ mongoUri: dbUri(`bench_apps_${Date.now()}`), node: serverNode, rounds: smoke ? 1 : 5, tokens: smoke ? 1000 : PLAN.sendTokens, log }));
    if (want('send')) {
      // With --without-messages, also the send as it was before the message log (issue 19), built from that commit.
      const baseline = smoke || !withoutMessagesWanted ? undefined : buildAt(BEFORE_MESSAGE_LOG, log);
      if (baseline && 'skipped' in baseline) log(`send: no comparison without the message log: ${baseline.skipped}`);
      try {
        save('send', await sendBenchmark({
          mongoUri: dbUri(`bench_send_${Date.now()}`), node: serverNode, rounds: smoke ? 1 : 5, tokens: PLAN.sendTokens, log,
          ...(baseline && 'root' in baseline ? { withoutMessages: { root: baseline.root, commit: BEFORE_MESSAGE_LOG } } : {}),
          withWebhooks: !smoke,
        }));
      } finally {
        if (baseline && 'root' in baseline) removeBuild(baseline.root);
      }
    }
    if (want('broadcast')) save('broadcast', await broadcastBenchmark({ mongoUri: dbUri(`bench_broadcast_${Date.now()}`), node: serverNode, rounds: smoke ? 1 : Number(arg('broadcast-rounds') ?? 3), tokens: PLAN.broadcastTokens, log }));
    if (want('runtime')) {
      const [node20, node24] = [nodeBinary('20'), nodeBinary('24')];
      if (!node20 || !node24) {
        save('runtime', { skipped: 'npx -y node@20 / node@24 did not provide both binaries' });
      } else {
        save('runtime', {
          node20: nodeVersion(node20),
          node24: nodeVersion(node24),
          ...(await runtimeBenchmark({ ...http, node: node20, otherNode: node24, mongoUri: dbUri(`bench_runtime_${Date.now()}`) })),
        });
      }
    }
    if (want('import')) {
      save('import', await importBenchmark({ mongoUri: dbUri(`bench_import_${Date.now()}`), putMongoUri: dbUri(`bench_import_put_${Date.now()}`), node: serverNode, rows: Number(arg('import-rows') ?? (smoke ? 2_000 : 20_000)), connections: PLAN.connections, log }));
    }
    if (want('profile-send')) {
      save('profile-send', await profileSend({ node: serverNode, mongoUri: dbUri(`bench_profile_send_${Date.now()}`), rounds: smoke ? 1 : 3, tokens: smoke ? 1000 : PLAN.sendTokens, log, ...(arg('keep-profile') ? { keepIn: path.resolve(arg('keep-profile')!) } : {}) }));
    }
    if (want('profile')) {
      save('profile-put', await profilePut({ node: serverNode, mongoUri: dbUri(`bench_profile_${Date.now()}`), key: BENCH_KEY, headers: BENCH_HEADERS, body: PUT_BODY, seconds: smoke ? 2 : 15, connections: PLAN.connections, log, ...(arg('keep-profile') ? { keepIn: path.resolve(arg('keep-profile')!) } : {}) }));
    }
    // Last: a million documents make a stand-in server (mongo-java-server) slow for anything after.
    if (want('storage')) save('storage', await storageBenchmark({ mongoUri: dbUri(`bench_storage_${Date.now()}`), tokens: PLAN.storageTokens, log }));
  } finally {
    await mongo.stop();
  }
  if ((!smoke && !arg('out')) || process.argv.includes('--render')) renderFromDisk(meta, results, outDir);
}

/**
 * docs/performance.md from every result on disk, so a partial run (--only) still gives a whole
 * page; each section's run (date, runtime, machine) is listed, since they may differ.
 * `--render` alone (with --only none) renders without measuring.
 */
function renderFromDisk(meta: Record<string, unknown>, results: Record<string, unknown>, dir: string): void {
  const runs: Record<string, unknown> = {};
  for (const name of ['put', 'get', 'put.node20', 'get.node20', 'user-token', 'apps', 'send', 'broadcast', 'runtime', 'storage', 'import', 'profile-put', 'profile-put.before', 'profile-send']) {
    const file = path.join(dir, `${name}.json`);
    if (!existsSync(file)) continue;
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { result: unknown; date?: string; node?: string; machine?: string; commit?: string };
    results[name] ??= saved.result;
    runs[name] = { date: saved.date, node: saved.node, machine: saved.machine, commit: saved.commit };
  }
  writeFileSync(path.join(ROOT, 'docs/performance.md'), renderPerformanceDoc(meta, { ...results, __runs: runs }));
  log('wrote docs/performance.md');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
