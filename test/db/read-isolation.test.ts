import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Collection } from 'mongodb';
import { ensureMongoJavaServerJars } from '../../src/db/mongo-java-server';
import { engine, openTestDatabase } from '../support/test-db';

/**
 * The root cause of a lost update that the concurrency property once caught 1 run in 3: stock
 * mongo-java-server hands a query the very documents it stores and encodes them after its lock
 * is released, so a read racing an update could come back torn (old `properties`, new
 * `revision`). A PATCH built on such a read passed its optimistic-concurrency check and wrote
 * the old properties back over a PUT. MongoDB's single-document reads are atomic; the test
 * server must be too. See docs/storage.md.
 */
const TOOL_DIR = path.resolve(__dirname, '../../tools/mongo-java-server');
const onJavaServer = engine() === 'mongo-java-server' ? it : it.skip;

onJavaServer('the stock backend returns live documents; the launcher’s backends return snapshots (deterministic)', () => {
  ensureMongoJavaServerJars();
  const run = spawnSync('java', ['-cp', path.join(TOOL_DIR, 'lib', '*'), path.join(TOOL_DIR, 'Launcher.java'), '--check-isolation'], {
    cwd: TOOL_DIR,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status).toBe(0);
  const answers = Object.fromEntries(
    run.stdout
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
  );
  const stock = 'query result changed by a later update: true; later read sees the update: true; findAndModify works: true; delete works: true';
  const isolated = 'query result changed by a later update: false; later read sees the update: true; findAndModify works: true; delete works: true';
  expect(answers).toEqual({
    'stock memory backend': stock,
    'stock h2 backend': stock,
    'isolated memory backend': isolated,
    'isolated h2 backend': isolated,
  });
});

describe('reads racing updates on the test server', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let collection: Collection<{ _id: number; properties: { gen: number; pad: string }; revision: number }>;
  beforeAll(async () => {
    db = await openTestDatabase();
    collection = db.connection.db!.collection('torn_reads');
  });
  afterAll(async () => {
    await db.close();
  });

  it('never see a document half-updated (every read’s properties.gen equals its revision)', async () => {
    // A large field makes each read's encoding slow, which is when a racing update could tear it.
    const pad = 'x'.repeat(20_000);
    await collection.insertOne({ _id: 1, properties: { gen: 1, pad }, revision: 1 });
    const UPDATES = 2_000;
    let writing = true;
    const torn: { gen: number; revision: number }[] = [];
    let reads = 0;
    const writer = (async () => {
      for (let gen = 2; gen <= UPDATES + 1; gen++) {
        await collection.updateOne({ _id: 1 }, { $set: { properties: { gen, pad } }, $inc: { revision: 1 } });
      }
      writing = false;
    })();
    const reader = async () => {
      while (writing) {
        const doc = (await collection.findOne({ _id: 1 }))!;
        reads++;
        if (doc.properties.gen !== doc.revision) torn.push({ gen: doc.properties.gen, revision: doc.revision });
      }
    };
    await Promise.all([writer, reader(), reader(), reader(), reader()]);
    expect(reads).toBeGreaterThan(0);
    expect(torn).toEqual([]);
  }, 60_000);
});

onJavaServer('when its port is taken, the launcher fails at once with the reason, instead of hanging', async () => {
  const { startMongoJavaServer } = await import('../../src/db/mongo-java-server');
  const net = await import('node:net');
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()));
  const { port } = holder.address() as import('node:net').AddressInfo;
  try {
    await expect(startMongoJavaServer({ port })).rejects.toThrow(/exited with code 1: could not start on 127\.0\.0\.1:\d+: .*Address already in use/);
  } finally {
    holder.close();
  }
}, 30_000);
