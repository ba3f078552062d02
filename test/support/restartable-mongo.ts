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

/**
 * A port for a server that must come back on the same port after a stop. Not from port 0:
 * the kernel hands out ports of its ephemeral range (32768-60999 here) to listen(0) and to
 * every outgoing connection, so a port found free there can be taken by any connection of
 * any test (the benchmarks open thousands) before the server binds it, or while it is
 * stopped. Ports below that range are only ever taken by an explicit bind, so a random one
 * that binds now stays ours.
 */
const OWN_PORTS = { from: 20_000, to: 32_000 };

async function portOutsideEphemeralRange(): Promise<number> {
  for (;;) {
    const port = OWN_PORTS.from + Math.floor(Math.random() * (OWN_PORTS.to - OWN_PORTS.from));
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

export async function startRestartableMongo(): Promise<RestartableMongo> {
  const port = await portOutsideEphemeralRange();
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
