import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { OneSignalSimulator } from '../simulators/onesignal-simulator';
import { SIMULATOR_CA_FILE } from '../simulators/sim-server';
import { openTestDatabase } from '../support/test-db';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';
import { waitFor } from '../support/wait-for';

/**
 * Flat memory (issue 30): no replica holds a broadcast's audience. The real service process,
 * started with the heap flags `npm start` and the image use, broadcasts to 2,000 tokens and
 * then to 200,000; its RSS, sampled from /proc while each runs, peaks within 64 MiB of the
 * small one's. OneSignal takes 1,000 ids per request (one chunk), so the 200,000 go out quickly.
 */
const KEY = 'sk_flat_memory_key';
const MIB = 1024 * 1024;
const APP = randomUUID();
let onesignal: OneSignalSimulator;
let db: Awaited<ReturnType<typeof openTestDatabase>>;
let service: ServiceProcess;

beforeAll(async () => {
  onesignal = await OneSignalSimulator.start({ appId: APP, apiKey: 'os_v2_app_flat_memory_key' });
  db = await openTestDatabase();
  // The heap flags npm start gives node (the image's CMD has the same).
  const heapFlags = (JSON.parse(readFileSync('package.json', 'utf8')).scripts.start as string).match(/--max-[a-z-]+-size=\d+/g) ?? [];
  if (!heapFlags.some((flag) => flag.startsWith('--max-old-space-size='))) throw new Error('npm start sets no heap limit');
  service = await startServiceProcess(
    { API_KEYS: `ws_a:${KEY}`, MONGODB_URI: db.uri, NODE_EXTRA_CA_CERTS: SIMULATOR_CA_FILE, ONESIGNAL_APP_ID: APP, ONESIGNAL_API_KEY: 'os_v2_app_flat_memory_key', ONESIGNAL_ENDPOINT: onesignal.url, BROADCAST_INTERVAL: '50ms', EXPO_ENABLED: 'false' },
    heapFlags,
  );
}, 60_000);
afterAll(async () => {
  if (service.child.exitCode === null) service.child.kill('SIGKILL');
  await onesignal.close();
  await db.close();
});

const rss = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${service.url}${path}`, { method, headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as Record<string, any>) };
};

/** Adds `count` OneSignal tokens of an app, straight into the collection (as an import would), then broadcasts to the app's devices; answers the peak RSS while it ran. */
async function broadcastTo(app: string, count: number): Promise<number> {
  const now = new Date();
  for (let from = 0; from < count; from += 10_000) {
    await db.db.collection('tokens').insertMany(
      Array.from({ length: Math.min(10_000, count - from) }, (_, i) => ({ workspace_id: 'ws_a', user_id: `${app}-${from + i}`, token: randomUUID(), provider_key: 'onesignal', status: 'active', revision: 0, device: { app_id: app }, created_at: now, updated_at: now, last_used_at: now })),
      { ordered: false },
    );
  }
  expect((await call('PUT', `/audiences/${app}`, { filter: { filters: [{ operator: 'EQ', path: 'device.app_id', value: app }] } })).status).toBe(200);
  const sent = await call('POST', '/send', { message: { to: { audience_id: app }, content: { title: 'Everyone' } } });
  expect(sent.status).toBe(202);
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rss(service.child.pid!))), 100);
  try {
    await waitFor(async () => (await call('GET', `/messages/${sent.body!.requestId}`)).body!.status === 'SENT', `the broadcast to ${count} tokens`, { timeoutMs: 240_000, everyMs: 250 });
  } finally {
    clearInterval(sampler);
  }
  const { progress } = (await call('GET', `/messages/${sent.body!.requestId}`)).body!;
  expect(progress).toMatchObject({ total: count, delivered: count });
  return Math.max(peak, rss(service.child.pid!));
}

it('a broadcast to 200,000 tokens peaks within 64 MiB of one to 2,000', async () => {
  const small = await broadcastTo('small.app', 2_000);
  const large = await broadcastTo('large.app', 200_000);
  process.stdout.write(`flat memory: peak RSS ${(small / MIB).toFixed(1)} MiB for 2,000 tokens, ${(large / MIB).toFixed(1)} MiB for 200,000\n`);
  expect(large - small).toBeLessThanOrEqual(64 * MIB);
}, 300_000);
