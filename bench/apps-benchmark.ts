import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SIMULATOR_CA_FILE } from '../test/simulators/sim-server';
import { COUNT_COMMANDS, readLiveMemory, ROOT, startProcess, startService } from './lib/procs';

/** Live-memory samples (each after a full collection) with 2 and with 50 clients. */
const MEMORY_SAMPLES = 5;
import { median, round, spread } from './lib/stats';

/**
 * Many apps on one instance (issue 11): the same send (N tokens, half APNs, half FCM) through
 * one app with one APNs and one FCM credential, against the same send spread over 50 apps
 * with 50 credentials (25 Apple teams, 25 Firebase projects), on one service process,
 * alternating. Also the process's memory with 2 and with 50 live provider clients (the 50
 * apps' credentials include the single app's two), which is what PROVIDER_CLIENT_MAX bounds.
 */
const KEY = 'sk_bench_apps_0123456789';
const HEADERS = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const APPS_PER_PROVIDER = 25;

type SimApp = { app_id: string; apn: { team_id: string; key_id: string; key: string }; service_account: Record<string, unknown> };

async function api(url: string, method: string, pathname: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}${pathname}`, { method, headers: HEADERS, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (res.status >= 300) throw new Error(`${method} ${pathname} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return res.status === 204 ? undefined : res.json();
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Math.round((Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024) * 10) / 10;
}

export async function appsBenchmark(options: { mongoUri: string; node: string; rounds: number; tokens: number; log: (line: string) => void; /** Also write a CPU profile of the service here (node --cpu-prof). */ profileDir?: string }) {
  const dir = path.join(os.tmpdir(), `bench-apps-${process.pid}`);
  const { proc: sims, match } = await startProcess(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test/simulators/run-simulators.ts'), '--apns-port', '0', '--fcm-port', '0', '--onesignal-port', '0', '--expo-port', '0', '--dir', dir, '--apps', String(APPS_PER_PROVIDER)],
    { core: 1, ready: /APNs simulator: (\S+)\s+FCM simulator: (\S+)/ },
  );
  const { proc: service, url } = await startService({
    node: options.node,
    core: 0,
    // --expose-gc and the bench probe: live memory is read after a full collection (bench/lib/count-commands.cjs).
    nodeArgs: ['--expose-gc', ...COUNT_COMMANDS, ...(options.profileDir ? ['--cpu-prof', '--cpu-prof-dir', options.profileDir] : [])],
    env: { NODE_EXTRA_CA_CERTS: SIMULATOR_CA_FILE, MONGODB_URI: options.mongoUri, API_KEYS: `ws_apps:${KEY}`, APNS_ENDPOINT: match[1]!, FCM_ENDPOINT: match[2]! },
  });
  try {
    const apps = JSON.parse(readFileSync(path.join(dir, 'apps.json'), 'utf8')) as SimApp[];
    for (const [i, app] of apps.entries()) {
      await api(url, 'PUT', `/credentials/team-${i}`, { provider_key: 'apn', ...app.apn, environments: ['production'] });
      await api(url, 'PUT', `/credentials/project-${i}`, { provider_key: 'firebase-fcm', service_account: app.service_account });
    }
    // The single app: team 0 and project 0. The 50 apps: 25 APNs apps and 25 FCM apps, a credential each.
    await api(url, 'PUT', '/apps/com.sim.app0', { apn: { credential_id: 'team-0' }, 'firebase-fcm': { credential_id: 'project-0' } });
    for (let i = 1; i < apps.length; i++) {
      await api(url, 'PUT', `/apps/com.sim.app${i}`, { apn: { credential_id: `team-${i}` } });
      await api(url, 'PUT', `/apps/com.sim.fcm${i}`, { 'firebase-fcm': { credential_id: `project-${i}` } });
    }
    await api(url, 'PUT', '/apps/com.sim.fcm0', { 'firebase-fcm': { credential_id: 'project-0' } });
    const register = async (side: 'single' | 'multi') => {
      for (let u = 0; u < Math.ceil(options.tokens / 100); u++) {
        const tokens = Array.from({ length: 100 }, (_, i) => {
          const n = u * 100 + i;
          const app = side === 'single' ? 0 : n % APPS_PER_PROVIDER;
          return i % 2 === 0
            ? { token: `${side === 'single' ? 'a' : 'b'}${n.toString(16).padStart(63, '0')}`, provider_key: 'apn', device: { app_id: `com.sim.app${app}` } }
            : { token: `${side}${n}:APA91b${'F'.repeat(140)}`, provider_key: 'firebase-fcm', device: { app_id: side === 'single' ? 'com.sim.app0' : `com.sim.fcm${app}` } };
        });
        await api(url, 'PUT', `/users/${side}-${u}/tokens`, { tokens });
      }
    };
    await register('single');
    await register('multi');
    const users = (side: string) => Array.from({ length: Math.ceil(options.tokens / 100) }, (_, u) => ({ user_id: `${side}-${u}` }));
    const sendAll = async (side: 'single' | 'multi') => {
      const started = process.hrtime.bigint();
      const report = (await api(url, 'POST', '/send', { message: { to: users(side), content: { title: 'Benchmark' } } })) as { summary: { delivered: number } };
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (report.summary.delivered !== options.tokens) throw new Error(`${side}: delivered ${report.summary.delivered} of ${options.tokens}`);
      return ms;
    };
    const rssBefore = rssMiB(service.child.pid!);
    await sendAll('single');
    const rssSingle = rssMiB(service.child.pid!);
    const liveSingle = await readLiveMemory(service, MEMORY_SAMPLES);
    await sendAll('multi');
    const rssMulti = rssMiB(service.child.pid!);
    const liveMulti = await readLiveMemory(service, MEMORY_SAMPLES);
    // Per live client, sample by sample: 48 more clients (50 apps' against the single app's 2).
    const perClientHeap = liveMulti.map((m, i) => (m.heap_used_mib - liveSingle[i]!.heap_used_mib) / 48);
    const perClientRss = liveMulti.map((m, i) => (m.rss_mib - liveSingle[i]!.rss_mib) / 48);
    const clients = await (await fetch(`${url}/metrics`)).text();
    const liveClients = [...clients.matchAll(/^push_provider_clients\{provider="[^"]+"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    const rounds: { single_ms: number; multi_ms: number }[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const order: ('single' | 'multi')[] = r % 2 === 0 ? ['single', 'multi'] : ['multi', 'single'];
      const times: Record<string, number> = {};
      for (const side of order) times[side] = await sendAll(side);
      rounds.push({ single_ms: round(times.single!, 0), multi_ms: round(times.multi!, 0) });
      options.log(`apps round ${r + 1}: 1 app ${round(times.single!, 0)} ms, 50 apps ${round(times.multi!, 0)} ms for ${options.tokens} tokens`);
    }
    const ratios = rounds.map((r) => r.single_ms / r.multi_ms);
    return {
      tokens: options.tokens,
      apps: APPS_PER_PROVIDER * 2,
      credentials: APPS_PER_PROVIDER * 2,
      rounds: rounds.length,
      single_ms_median: median(rounds.map((r) => r.single_ms)),
      multi_ms_median: median(rounds.map((r) => r.multi_ms)),
      throughput_ratio_median: round(median(ratios)),
      throughput_ratio_spread: { min: round(spread(ratios).min), max: round(spread(ratios).max) },
      live_clients: liveClients,
      rss_mib: { before_any_send: rssBefore, with_2_clients: rssSingle, with_50_clients: rssMulti },
      rss_mib_per_client: round((rssMulti - rssSingle) / 48, 2),
      live_memory_per_client: {
        samples: MEMORY_SAMPLES,
        heap_used_mib_median: round(median(perClientHeap), 3),
        heap_used_mib_spread: { min: round(spread(perClientHeap).min, 3), max: round(spread(perClientHeap).max, 3) },
        rss_mib_median: round(median(perClientRss), 3),
        rss_mib_spread: { min: round(spread(perClientRss).min, 3), max: round(spread(perClientRss).max, 3) },
      },
      per_round: rounds,
    };
  } finally {
    await service.stop();
    await sims.stop();
  }
}
