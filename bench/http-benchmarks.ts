import path from 'node:path';
import { MongoClient } from 'mongodb';
import { load, type LoadResult } from './lib/load';
import { COUNT_COMMANDS, ROOT, startProcess, startService, type Proc } from './lib/procs';
import { dbOperations } from './db-operations';
import { median, round, spread } from './lib/stats';

/**
 * PUT a token, GET a user's tokens: our service against a bare node:http server doing the same
 * upsert/read with the native driver, against the same database. Server processes on core 0,
 * load generator (this process) and database elsewhere. A/B alternate every round (ABBA).
 */
const KEY = 'sk_bench_key_0123456789';
const HEADERS = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
export const BENCH_KEY = KEY;
export const BENCH_HEADERS = HEADERS;
export const PUT_BODY = JSON.stringify({
  provider_key: 'firebase-fcm',
  device: { app_id: 'com.example.app', platform: 'android', manufacturer: 'Google', model: 'Pixel 8' },
  properties: { plan: 'pro', locale: 'en-GB' },
});
const SEED_USERS = 1000;

export type HttpBenchOptions = { mongoUri: string; node: string; rounds: number; seconds: number; connections: number; log: (line: string) => void };

type Side = { name: 'ours' | 'bare' | 'floor'; url: string };

async function seed(ours: string): Promise<void> {
  for (let u = 0; u < SEED_USERS; u++) {
    const tokens = Array.from({ length: 5 }, (_, i) => ({ token: `seed-${u}-${i}:APA91b${'x'.repeat(140)}`, provider_key: 'firebase-fcm', device: { platform: 'android' } }));
    const res = await fetch(`${ours}/users/u${u}/tokens`, { method: 'PUT', headers: HEADERS, body: JSON.stringify({ tokens }) });
    if (res.status !== 204) throw new Error(`seeding failed: ${res.status}`);
  }
}

type Sides = { ours: Side & { proc: Proc }; bare: Side & { proc: Proc }; floor: Side & { proc: Proc }; stop: () => Promise<void> };

/** Ours, the bare server, and the Express floor (bench/baseline/express-floor.ts), all on core 0 and one runtime. */
export async function startSides(options: HttpBenchOptions & { nodeArgs?: string[] }): Promise<Sides> {
  const nodeArgs = options.nodeArgs ?? [];
  const { proc: oursProc, url } = await startService({ node: options.node, core: 0, nodeArgs, env: { MONGODB_URI: options.mongoUri, API_KEYS: `ws_bench:${KEY}` } });
  // The same runtime as ours: the ratio compares servers, not Node.js versions.
  const { proc: bareProc, match } = await startProcess(options.node, [...nodeArgs, '--import', 'tsx', path.join(ROOT, 'bench/baseline/bare-server.ts'), options.mongoUri, KEY], {
    core: 0,
    ready: /bare server listening on (\d+)/,
  });
  const { proc: floorProc, match: floorMatch } = await startProcess(options.node, [...nodeArgs, '--import', 'tsx', path.join(ROOT, 'bench/baseline/express-floor.ts'), options.mongoUri, KEY], {
    core: 0,
    ready: /express floor listening on (\d+)/,
  });
  const procs: Proc[] = [oursProc, bareProc, floorProc];
  return {
    ours: { name: 'ours', url, proc: oursProc },
    bare: { name: 'bare', url: `http://127.0.0.1:${match[1]}`, proc: bareProc },
    floor: { name: 'floor', url: `http://127.0.0.1:${floorMatch[1]}`, proc: floorProc },
    stop: async () => {
      await Promise.all(procs.map((p) => p.stop()));
    },
  };
}

export type AbRound = { ours: LoadResult; bare: LoadResult; floor: LoadResult; oursAtHalf: LoadResult; bareAtHalf: LoadResult };

async function abRounds(kind: 'PUT' | 'GET', ours: Side, bare: Side, floor: Side, options: HttpBenchOptions): Promise<AbRound[]> {
  const rounds: AbRound[] = [];
  let counter = 0;
  const pathFor = (label: string) => (i: number) =>
    kind === 'PUT' ? `/users/u${i % 5000}/tokens/put-${label}-${counter}-${i}:APA91b${'q'.repeat(140)}` : `/users/u${i % SEED_USERS}/tokens`;
  const run = async (side: Side, rate?: number) => {
    counter++;
    // Every side starts from the same collections: the tokens earlier PUT runs made, and the
    // counts, are removed first (on mongo-java-server a growing collection slows every later
    // run, and past a few hundred thousand documents it stalls).
    if (kind === 'PUT') await removePutTokens(options.mongoUri);
    return load({
      url: side.url,
      method: kind,
      path: pathFor(side.name),
      ...(kind === 'PUT' ? { body: PUT_BODY } : {}),
      headers: HEADERS,
      seconds: options.seconds,
      connections: options.connections,
      ...(rate ? { rate } : {}),
    });
  };
  for (let r = 0; r < options.rounds; r++) {
    // Each side first, middle and last in turn.
    const order = [[ours, bare, floor], [bare, floor, ours], [floor, ours, bare]][r % 3]!;
    const max: Record<string, LoadResult> = {};
    for (const side of order) max[side.name] = await run(side);
    const half = max.bare!.rps / 2;
    const atHalf: Record<string, LoadResult> = {};
    for (const side of order.filter((s) => s.name !== 'floor')) atHalf[side.name] = await run(side, half);
    rounds.push({ ours: max.ours!, bare: max.bare!, floor: max.floor!, oursAtHalf: atHalf.ours!, bareAtHalf: atHalf.bare! });
    options.log(
      `${kind} round ${r + 1}: ours ${round(max.ours!.rps, 0)} req/s, bare ${round(max.bare!.rps, 0)} req/s, express floor ${round(max.floor!.rps, 0)} req/s; at ${round(half, 0)} req/s p99 ours ${atHalf.ours!.p99} ms, bare ${atHalf.bare!.p99} ms`,
    );
  }
  return rounds;
}

async function removePutTokens(uri: string): Promise<void> {
  const client = await new MongoClient(uri).connect();
  try {
    await client.db().collection('tokens').deleteMany({ token: { $regex: '^put-' } });
    // The per-user counts only ever overestimate (deletions never subtract: user-token-counts.ts),
    // so without this the users would pass MAX_TOKENS_PER_USER after a few runs, and ours, not
    // the baselines, would then read each user's tokens on every PUT. The benchmark measures a
    // user within the bounds, the common case; the bound's own cost is a test's, not a ratio's.
    await client.db().collection('user_token_counts').deleteMany({});
  } finally {
    await client.close();
  }
}

export function summarize(rounds: AbRound[]) {
  const ratios = rounds.map((r) => r.ours.rps / r.bare.rps);
  const floorRatios = rounds.map((r) => r.floor.rps / r.bare.rps);
  const oursOverFloor = rounds.map((r) => r.ours.rps / r.floor.rps);
  const p99Ratios = rounds.map((r) => r.oursAtHalf.p99 / Math.max(r.bareAtHalf.p99, 1));
  return {
    rounds: rounds.length,
    ours_rps_median: round(median(rounds.map((r) => r.ours.rps)), 0),
    bare_rps_median: round(median(rounds.map((r) => r.bare.rps)), 0),
    throughput_ratio_median: round(median(ratios)),
    throughput_ratio_spread: { min: round(spread(ratios).min), max: round(spread(ratios).max) },
    floor_rps_median: round(median(rounds.map((r) => r.floor.rps)), 0),
    floor_over_bare_median: round(median(floorRatios)),
    ours_over_floor_median: round(median(oursOverFloor)),
    p99_at_half_ours_ms_median: median(rounds.map((r) => r.oursAtHalf.p99)),
    p99_at_half_bare_ms_median: median(rounds.map((r) => r.bareAtHalf.p99)),
    p99_ratio_median: round(median(p99Ratios)),
    p99_ratio_spread: { min: round(spread(p99Ratios).min), max: round(spread(p99Ratios).max) },
    errors: rounds.reduce((n, r) => n + r.ours.errors + r.bare.errors + r.ours.non2xx + r.bare.non2xx + r.oursAtHalf.non2xx + r.bareAtHalf.non2xx, 0),
    per_round: rounds,
  };
}

export async function httpBenchmarks(options: HttpBenchOptions) {
  const pair = await startSides({ ...options, nodeArgs: COUNT_COMMANDS });
  try {
    await seed(pair.ours.url);
    // First, what each side asks of the database per request, from the driver's command monitoring.
    const operations = await dbOperations(pair, { headers: HEADERS, putBody: PUT_BODY, requests: options.rounds > 1 ? 200 : 40, getUser: 'u0' });
    for (const o of operations) options.log(`db operations per request, ${o.scenario}: ours ${JSON.stringify(o.ours)}, bare ${JSON.stringify(o.bare)}, express floor ${JSON.stringify(o.floor)}${o.same ? '' : ' (DIFFERENT)'}`);
    // GET first, on the seeded collection alone: the PUT rounds add hundreds of thousands of
    // documents, and a server whose non-unique indexes do nothing (mongo-java-server) would
    // then measure collection scans rather than either server.
    const get = summarize(await abRounds('GET', pair.ours, pair.bare, pair.floor, options));
    const put = summarize(await abRounds('PUT', pair.ours, pair.bare, pair.floor, options));
    return { put: { ...put, operations: operations.filter((o) => o.scenario.startsWith('PUT')) }, get: { ...get, operations: operations.filter((o) => o.scenario.startsWith('GET')) } };
  } finally {
    await pair.stop();
  }
}

/** Our PUT throughput on two Node.js runtimes, alternating. */
export async function runtimeBenchmark(options: HttpBenchOptions & { otherNode: string }) {
  const results: Record<string, LoadResult[]> = { node20: [], node24: [] };
  for (let r = 0; r < options.rounds; r++) {
    const order: ['node20' | 'node24', string][] = r % 2 === 0 ? [['node20', options.node], ['node24', options.otherNode]] : [['node24', options.otherNode], ['node20', options.node]];
    for (const [label, node] of order) {
      const { proc, url } = await startService({ node, core: 0, env: { MONGODB_URI: options.mongoUri, API_KEYS: `ws_bench:${KEY}` } });
      try {
        // A short warm-up so both runtimes are measured after JIT, not during it.
        await load({ url, method: 'PUT', path: (i) => `/users/w${i % 100}/tokens/warm-${label}-${r}-${i}`, body: PUT_BODY, headers: HEADERS, seconds: 1, connections: options.connections });
        const result = await load({ url, method: 'PUT', path: (i) => `/users/r${i % 5000}/tokens/rt-${label}-${r}-${i}`, body: PUT_BODY, headers: HEADERS, seconds: options.seconds, connections: options.connections });
        results[label]!.push(result);
        options.log(`runtime round ${r + 1}: ${label} ${round(result.rps, 0)} req/s, p99 ${result.p99} ms`);
      } finally {
        await proc.stop();
      }
    }
  }
  const ratios = results.node24!.map((r, i) => r.rps / results.node20![i]!.rps);
  return {
    node20_rps_median: round(median(results.node20!.map((r) => r.rps)), 0),
    node24_rps_median: round(median(results.node24!.map((r) => r.rps)), 0),
    node20_p99_ms_median: median(results.node20!.map((r) => r.p99)),
    node24_p99_ms_median: median(results.node24!.map((r) => r.p99)),
    node24_over_node20_median: round(median(ratios)),
    spread: { min: round(spread(ratios).min), max: round(spread(ratios).max) },
    per_round: results,
  };
}
