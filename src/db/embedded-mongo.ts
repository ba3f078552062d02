import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger';

/** Where the running embedded database's URI is written (under EMBEDDED_DB_DIR), so the admin CLI can find it. */
export const EMBEDDED_URI_FILE = 'embedded-mongodb-uri';
import { startLocalMongo, type LocalMongo, type LocalMongoOptions } from './local-mongo';

/**
 * The development database that `npm start` runs when MONGODB_URI is unset. Its data lives
 * under EMBEDDED_DB_DIR and survives restarts: a real mongod where one is installed, cached or
 * downloadable, else mongo-java-server with its H2 file (src/db/local-mongo.ts decides, in
 * about a second when offline). Never for production: config refuses to start without
 * MONGODB_URI there.
 */
export async function startEmbeddedMongo(
  dataDir: string,
  logger: Logger,
  locate: Pick<LocalMongoOptions, 'systemBinary' | 'searchPath'> = {},
): Promise<LocalMongo> {
  const root = path.resolve(dataDir);
  mkdirSync(root, { recursive: true });
  const mongo = await startLocalMongo({
    ...locate,
    dataDir: root,
    log: (line, detail) => {
      if (detail) logger.error({ error: { message: detail.message, stack: detail.stack } }, line);
    },
  });
  logger.warn(
    { engine: mongo.engine, why: mongo.why, data_dir: root },
    'embedded development database started: NOT for production, set MONGODB_URI',
  );
  return mongo;
}
