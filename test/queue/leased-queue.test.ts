import type { Collection } from 'mongodb';
import { LeasedQueue, type QueuedFields } from '../../src/queue/leased-queue';
import { IntervalWorker } from '../../src/queue/interval-worker';
import { createLogger } from '../../src/logger';
import { openTestDatabase } from '../support/test-db';

/**
 * The one claim-with-lease queue (issue 23): claims are exclusive, a replica past its lease can
 * neither complete nor reschedule what another replica claimed since, and work whose replica
 * died is claimed again once the lease ends.
 */
type Job = QueuedFields<string> & { due_at: Date; payload: string };
let db: Awaited<ReturnType<typeof openTestDatabase>>;
let jobs: Collection<Job>;
let queue: LeasedQueue<Job>;
const at = (ms: number) => new Date(1_700_000_000_000 + ms);

beforeAll(async () => {
  db = await openTestDatabase();
  jobs = db.connection.db!.collection<Job>('jobs');
  queue = new LeasedQueue(jobs, 'due_at');
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  await jobs.deleteMany({});
  await jobs.insertMany(Array.from({ length: 5 }, (_, i) => ({ _id: `job-${i}`, due_at: at(i), payload: `p${i}` })));
});

it('claims only what is due, oldest first, and counts an attempt per claim', async () => {
  const claimed = await queue.claimDue(at(2), 10, 1_000);
  expect(claimed.map((j) => j._id).sort()).toEqual(['job-0', 'job-1', 'job-2']);
  expect(new Set(claimed.map((j) => j.claim)).size).toBe(1);
  expect(claimed.every((j) => j.attempts === 1)).toBe(true);
  // Claimed work is not due again during the lease: only the two not yet claimed are.
  expect((await queue.claimDue(at(500), 10, 1_000)).map((j) => j._id).sort()).toEqual(['job-3', 'job-4']);
});

it('two replicas claiming at once never both get one job', async () => {
  const [a, b] = await Promise.all([queue.claimDue(at(10), 10, 1_000), queue.claimDue(at(10), 10, 1_000)]);
  const ids = [...a, ...b].map((j) => j._id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.sort()).toEqual(['job-0', 'job-1', 'job-2', 'job-3', 'job-4']);
});

it('a replica past its lease can neither complete nor reschedule; the work is claimed again and the new claim holds', async () => {
  const first = await queue.claimDue(at(10), 10, 1_000);
  // The first replica stalls past its lease; a second one claims the same work.
  const second = await queue.claimDue(at(2_000), 10, 1_000);
  expect(second.map((j) => j._id).sort()).toEqual(first.map((j) => j._id).sort());
  expect(second.every((j) => j.attempts === 2)).toBe(true);
  const ids = first.map((j) => j._id);
  expect(await queue.complete(first[0]!.claim, ids)).toBe(0);
  expect(await queue.retry(first[0]!.claim, ids, at(999_999), 'stale')).toBe(0);
  expect(await jobs.countDocuments()).toBe(5);
  expect(await jobs.countDocuments({ last_error: 'stale' })).toBe(0);
  // The current holder's writes land.
  expect(await queue.retry(second[0]!.claim, ids.slice(0, 2), at(5_000), 'not ready')).toBe(2);
  expect(await queue.complete(second[0]!.claim, ids.slice(2))).toBe(3);
  const left = await jobs.find().toArray();
  expect(left.map((j) => [j._id, j.due_at.getTime(), j.last_error, j.claim])).toEqual(ids.slice(0, 2).map((id) => [id, at(5_000).getTime(), 'not ready', undefined]));
});

it('work of a replica that died is due again once its lease ends, not before', async () => {
  await queue.claimDue(at(10), 10, 1_000);
  expect(await queue.claimDue(at(1_009), 10, 1_000)).toEqual([]);
  expect(await queue.claimDue(at(1_010), 10, 1_000)).toHaveLength(5);
});

it('the interval worker never runs two passes at once, and logs a failing pass through the scrubber', async () => {
  const lines: string[] = [];
  const logger = createLogger('info', { write: (line: string) => lines.push(line) });
  let running = 0;
  let maxRunning = 0;
  let calls = 0;
  const worker = new IntervalWorker({
    name: 'test worker',
    intervalMs: 5,
    logger,
    pass: async () => {
      calls++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setTimeout(resolve, 30));
      running--;
      if (calls === 1) throw new Error('failed with "sk_live_secret_value_123"');
      return calls;
    },
  });
  worker.start();
  while (calls < 3) await new Promise((resolve) => setTimeout(resolve, 10));
  await worker.stop();
  expect(maxRunning).toBe(1);
  const failure = lines.map((line) => JSON.parse(line)).find((entry) => entry.worker === 'test worker');
  expect(failure.error.message).not.toContain('sk_live_secret_value_123');
  expect(failure.error.stack).toBeDefined();
});
