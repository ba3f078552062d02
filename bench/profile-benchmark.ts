import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readProfile, summarizeProfile, type ProfileSummary } from './lib/cpu-profile';
import { load } from './lib/load';
import { startService } from './lib/procs';

/**
 * A CPU profile of the service under the PUT benchmark's load (`node --cpu-prof`, V8's own
 * sampling profiler, built into Node.js: nothing to install), summarized by bench/lib/cpu-profile.ts.
 * The profile covers the process's whole life; its start-up is a small share of a
 * `seconds`-long load, and is named in the table (module loading shows under Node.js core).
 */
export type ProfileOptions = { node: string; mongoUri: string; key: string; headers: Record<string, string>; body: string; seconds: number; connections: number; log: (line: string) => void; /** Keep the raw .cpuprofile here (to open in Chrome DevTools); never committed. */ keepIn?: string };

export async function profilePut(options: ProfileOptions): Promise<ProfileSummary & { rps: number }> {
  const dir = options.keepIn ?? mkdtempSync(path.join(os.tmpdir(), 'bench-prof-'));
  try {
    const { proc, url } = await startService({ node: options.node, core: 0, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir], env: { MONGODB_URI: options.mongoUri, API_KEYS: `ws_bench:${options.key}` } });
    let result;
    try {
      // Warm up first, so the profile is of the JIT-compiled path.
      await load({ url, method: 'PUT', path: (i) => `/users/pw${i % 500}/tokens/prof-warm-${i}:APA91b${'p'.repeat(140)}`, body: options.body, headers: options.headers, seconds: 2, connections: options.connections });
      result = await load({ url, method: 'PUT', path: (i) => `/users/p${i % 5000}/tokens/prof-${i}:APA91b${'p'.repeat(140)}`, body: options.body, headers: options.headers, seconds: options.seconds, connections: options.connections });
    } finally {
      await proc.stop();
    }
    const summary = summarizeProfile(readProfile(dir));
    options.log(`profile (PUT): ${Math.round(result.rps)} req/s; busy ${summary.busy_ms} of ${summary.total_ms} ms; ${summary.groups.slice(0, 6).map((g) => `${g.group} ${g.self_pct}%`).join(', ')}`);
    return { ...summary, rps: Math.round(result.rps) };
  } finally {
    if (!options.keepIn) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A CPU profile of the service through the many-apps send benchmark (bench/apps-benchmark.ts:
 * the same tokens sent for one app and for 50 apps with 50 credentials, alternating), so the
 * cost of many credentials shows by function.
 */
export async function profileSend(options: { node: string; mongoUri: string; rounds: number; tokens: number; log: (line: string) => void; keepIn?: string }): Promise<ProfileSummary & { throughput_ratio_median: number }> {
  const dir = options.keepIn ?? mkdtempSync(path.join(os.tmpdir(), 'bench-prof-send-'));
  try {
    const { appsBenchmark } = await import('./apps-benchmark');
    const result = await appsBenchmark({ mongoUri: options.mongoUri, node: options.node, rounds: options.rounds, tokens: options.tokens, log: options.log, profileDir: dir });
    const summary = summarizeProfile(readProfile(dir));
    options.log(`profile (send, 1 and 50 apps): busy ${summary.busy_ms} of ${summary.total_ms} ms; ${summary.groups.slice(0, 6).map((g) => `${g.group} ${g.self_pct}%`).join(', ')}`);
    return { ...summary, throughput_ratio_median: result.throughput_ratio_median };
  } finally {
    if (!options.keepIn) rmSync(dir, { recursive: true, force: true });
  }
}
