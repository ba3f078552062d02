import path from 'node:path';
import { load, type LoadResult } from './lib/load';
import { ROOT, startProcess, startService, type Proc } from './lib/procs';
import { median, round, spread } from './lib/stats';

/**
 * PUT a token, GET a user's tokens: our service against a bare node:http server doing the same
 * upsert/read with the native driver, against the same database. Server processes on core 0,
 * load generator (this process) and database elsewhere. A/B alternate every round (ABBA).
 */
const KEY = 'sk_bench_key_0123456789';
const HEADERS = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const PUT_BODY = JSON.stringify({
  provider_key: 'firebase-fcm',
  device: { app_id: 'com.example.app', platform: 'android', manufacturer: 'Google', model: 'Pixel 8' },
  properties: { plan: 'pro', locale: 'en-GB' },
});
const SEED_USERS = 1000;

export type HttpBenchOptions = { mongoUri: string; node: string; rounds: number; seconds: number; connections: number; log: (line: string) => void };

type Side = { name: 'ours' | 'bare'; url: string };

async function seed(ours: string): Promise<void> {
  for (let u = 0; u < SEED_USERS; u++) {
    const tokens = Array.from({ length: 5 }, (_, i) => ({ token: `seed-${u}-${i}:APA91b${'x'.repeat(140)}`, provider_key: 'firebase-fcm', device: { platform: 'android' } }));
    const res = await fetch(`${ours}/users/u${u}/tokens`, { method: 'PUT', headers: HEADERS, body: JSON.stringify({ tokens }) });
    if (res.status !== 204) throw new Error(`seeding failed: ${res.status}`);
  }
}

export async function startPair(options: HttpBenchOptions): Promise<{ ours: Side; bare: Side; stop: () => Promise<void> }> {
  const { proc: oursProc, url } = await startService({ node: options.node, core: 0, env: { MONGODB_URI: options.mongoUri, API_KEYS: `ws_bench:${KEY}` } });
  const { proc: bareProc, match } = await startProcess(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/baseline/bare-server.ts'), options.mongoUri, KEY], {
    core: 0,
    ready: /bare server listening on (\d+)/,
  });
  const procs: Proc[] = [oursProc, bareProc];
  return {
    ours: { name: 'ours', url },
    bare: { name: 'bare', url: `http://127.0.0.1:${match[1]}` },
    stop: async () => {
      await Promise.all(procs.map((p) => p.stop()));
    },
  };
}

export type AbRound = { ours: LoadResult; bare: LoadResult; oursAtHalf: LoadResult; bareAtHalf: LoadResult };

async function abRounds(kind: 'PUT' | 'GET', ours: Side, bare: Side, options: HttpBenchOptions): Promise<AbRound[]> {
  const rounds: AbRound[] = [];
  let counter = 0;
  const pathFor = (label: string) => (i: number) =>
    kind === 'PUT' ? `/users/u${i % 5000}/tokens/put-${label}-${counter}-${i}:APA91b${'q'.repeat(140)}` : `/users/u${i % SEED_USERS}/tokens`;
  const run = (side: Side, rate?: number) => {
    counter++;
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
    const order = r % 2 === 0 ? [ours, bare] : [bare, ours];
    const max: Record<string, LoadResult> = {};
    for (const side of order) max[side.name] = await run(side);
    const half = max.bare!.rps / 2;
    const atHalf: Record<string, LoadResult> = {};
    for (const side of order) atHalf[side.name] = await run(side, half);
    rounds.push({ ours: max.ours!, bare: max.bare!, oursAtHalf: atHalf.ours!, bareAtHalf: atHalf.bare! });
    options.log(
      `${kind} round ${r + 1}: ours ${round(max.ours!.rps, 0)} req/s, bare ${round(max.bare!.rps, 0)} req/s; at ${round(half, 0)} req/s p99 ours ${atHalf.ours!.p99} ms, bare ${atHalf.bare!.p99} ms`,
    );
  }
  return rounds;
}

export function summarize(rounds: AbRound[]) {
  const ratios = rounds.map((r) => r.ours.rps / r.bare.rps);
  const p99Ratios = rounds.map((r) => r.oursAtHalf.p99 / Math.max(r.bareAtHalf.p99, 1));
  return {
    rounds: rounds.length,
    ours_rps_median: round(median(rounds.map((r) => r.ours.rps)), 0),
    bare_rps_median: round(median(rounds.map((r) => r.bare.rps)), 0),
    throughput_ratio_median: round(median(ratios)),
    throughput_ratio_spread: { min: round(spread(ratios).min), max: round(spread(ratios).max) },
    p99_at_half_ours_ms_median: median(rounds.map((r) => r.oursAtHalf.p99)),
    p99_at_half_bare_ms_median: median(rounds.map((r) => r.bareAtHalf.p99)),
    p99_ratio_median: round(median(p99Ratios)),
    p99_ratio_spread: { min: round(spread(p99Ratios).min), max: round(spread(p99Ratios).max) },
    errors: rounds.reduce((n, r) => n + r.ours.errors + r.bare.errors + r.ours.non2xx + r.bare.non2xx + r.oursAtHalf.non2xx + r.bareAtHalf.non2xx, 0),
    per_round: rounds,
  };
}

export async function httpBenchmarks(options: HttpBenchOptions) {
  const pair = await startPair(options);
  try {
    await seed(pair.ours.url);
    // GET first, on the seeded collection alone: the PUT rounds add hundreds of thousands of
    // documents, and a server whose non-unique indexes do nothing (mongo-java-server) would
    // then measure collection scans rather than either server.
    const get = summarize(await abRounds('GET', pair.ours, pair.bare, options));
    const put = summarize(await abRounds('PUT', pair.ours, pair.bare, options));
    return { put, get };
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
