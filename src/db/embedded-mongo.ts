import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';
import { startMongoJavaServer, type RunningMongo } from './mongo-java-server';

/**
 * The development database that `npm start` runs when MONGODB_URI is unset. Its data lives
 * under EMBEDDED_DB_DIR and survives restarts. Preferred: a real mongod via
 * mongodb-memory-server (a dev dependency; it needs mongod installed or downloadable).
 * Otherwise, as on machines with no internet, mongo-java-server with its H2 file backend.
 * Never for production: config refuses to start without MONGODB_URI there.
 */
export async function startEmbeddedMongo(dataDir: string, logger: Logger): Promise<RunningMongo> {
  const root = path.resolve(dataDir);
  mkdirSync(root, { recursive: true });
  try {
    const mongod = await startMongodWithMemoryServer(path.join(root, 'mongod'));
    logger.warn({ engine: 'mongod (mongodb-memory-server)', data_dir: root }, 'embedded development database started: NOT for production, set MONGODB_URI');
    return mongod;
  } catch (error) {
    logger.info({ reason: (error as Error).message.split('\n')[0] }, 'no mongod available; using mongo-java-server instead');
  }
  const server = await startMongoJavaServer({ h2File: path.join(root, 'mongo-java-server.mv.db') });
  logger.warn({ engine: 'mongo-java-server (H2 file)', data_dir: root }, 'embedded development database started: NOT for production, set MONGODB_URI');
  return server;
}

async function startMongodWithMemoryServer(dbPath: string): Promise<RunningMongo> {
  mkdirSync(dbPath, { recursive: true });
  // A dev dependency, loaded only when needed, so production images need not ship it.
  const { MongoMemoryServer } = (await import('mongodb-memory-server')) as typeof import('mongodb-memory-server');
  const server = await MongoMemoryServer.create({ instance: { dbPath, storageEngine: 'wiredTiger' } });
  const uri = server.getUri('push_tokens');
  return {
    uri,
    port: Number(new URL(uri).port),
    stop: async () => {
      await server.stop({ doCleanup: false });
    },
  };
}
