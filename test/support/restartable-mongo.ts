import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startMongoJavaServer, type RunningMongo } from '../../src/db/mongo-java-server';

/**
 * A MongoDB server of its own that a test may stop and start again on the same port, with its
 * data kept: a real mongod (mongodb-memory-server) where one can be had, else mongo-java-server
 * with its H2 file backend.
 */
export type RestartableMongo = { uri: string; stop: () => Promise<void>; start: () => Promise<void>; close: () => Promise<void> };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startRestartableMongo(): Promise<RestartableMongo> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'restartable-mongo-'));
  if (process.env.TEST_MONGODB_ENGINE === 'mongod') {
    const { MongoMemoryServer } = await import('mongodb-memory-server');
    const server = await MongoMemoryServer.create({ instance: { port, dbPath: dir, storageEngine: 'wiredTiger' } });
    return {
      uri: server.getUri('restartable'),
      stop: async () => {
        await server.stop({ doCleanup: false });
      },
      start: async () => {
        await server.start(true);
      },
      close: async () => {
        await server.stop({ doCleanup: true });
      },
    };
  }
  const h2File = path.join(dir, 'data.mv.db');
  let running: RunningMongo | undefined = await startMongoJavaServer({ port, h2File, dbName: 'restartable' });
  const uri = running.uri;
  return {
    uri,
    stop: async () => {
      await running?.stop();
      running = undefined;
    },
    start: async () => {
      running = await startMongoJavaServer({ port, h2File, dbName: 'restartable' });
    },
    close: async () => {
      await running?.stop();
    },
  };
}
