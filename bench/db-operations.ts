import { readCommandCounts, type Proc } from './lib/procs';
import { round } from './lib/stats';

/**
 * The database operations each side of the HTTP benchmarks performs per request, counted from
 * the MongoDB driver's command monitoring in each server process (bench/lib/count-commands.cjs),
 * never by hand: so the bare baseline can be shown to do the same writes and reads as ours.
 * Each scenario runs N requests one at a time; the commands a process sends on its own in the
 * same time (background jobs polling their queues) are measured right after, idle, and taken off.
 */
export type OperationCounts = Record<string, number>;
export type ScenarioCounts = { scenario: string; requests: number; ours: OperationCounts; bare: OperationCounts; floor: OperationCounts; same: boolean };

type Side = { name: 'ours' | 'bare' | 'floor'; url: string; proc: Proc };
type Scenario = { name: string; method: 'PUT' | 'GET'; path: (side: string, i: number) => string; body?: string };

async function perRequest(side: Side, scenario: Scenario, requests: number, headers: Record<string, string>): Promise<OperationCounts> {
  await readCommandCounts(side.proc);
  const started = Date.now();
  for (let i = 0; i < requests; i++) {
    const res = await fetch(`${side.url}${scenario.path(side.name, i)}`, { method: scenario.method, headers, ...(scenario.body ? { body: scenario.body } : {}) });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`${side.name} ${scenario.name}: ${res.status}`);
  }
  const busy = await readCommandCounts(side.proc);
  const elapsed = Date.now() - started;
  await new Promise((resolve) => setTimeout(resolve, elapsed));
  const idle = await readCommandCounts(side.proc);
  const counts: OperationCounts = {};
  for (const [key, count] of Object.entries(busy)) {
    const own = round((count - (idle[key] ?? 0)) / requests, 2);
    if (own >= 0.05) counts[key] = own;
  }
  return counts;
}

export async function dbOperations(sides: { ours: Side; bare: Side; floor: Side }, options: { headers: Record<string, string>; putBody: string; requests: number; getUser: string }): Promise<ScenarioCounts[]> {
  const token = (side: string, i: number) => `ops-${side}-${i}:APA91b${'o'.repeat(140)}`;
  const scenarios: Scenario[] = [
    { name: 'PUT a new token', method: 'PUT', path: (side, i) => `/users/ops-${side}-${i % 20}/tokens/${token(side, i)}`, body: options.putBody },
    { name: 'PUT the same token again (an app re-registering)', method: 'PUT', path: (side, i) => `/users/ops-${side}-${i % 20}/tokens/${token(side, i)}`, body: options.putBody },
    { name: "GET a user's tokens", method: 'GET', path: () => `/users/${options.getUser}/tokens` },
  ];
  const results: ScenarioCounts[] = [];
  for (const scenario of scenarios) {
    const ours = await perRequest(sides.ours, scenario, options.requests, options.headers);
    const bare = await perRequest(sides.bare, scenario, options.requests, options.headers);
    const floor = await perRequest(sides.floor, scenario, options.requests, options.headers);
    results.push({ scenario: scenario.name, requests: options.requests, ours, bare, floor, same: JSON.stringify(ours) === JSON.stringify(bare) && JSON.stringify(bare) === JSON.stringify(floor) });
  }
  return results;
}
