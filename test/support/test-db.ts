import { randomBytes } from 'node:crypto';
import { connectMongo, type Database } from '../../src/db/connect';
import { createLogger } from '../../src/logger';

/** A fresh database on the shared test server, dropped by close(). */
export async function openTestDatabase(
  options: { uri?: string; timeoutMs?: number } = {},
): Promise<Database & { uri: string; close: () => Promise<void> }> {
  const base = options.uri ?? process.env.TEST_MONGODB_URI;
  if (!base) throw new Error('TEST_MONGODB_URI is unset: run the tests through jest (globalSetup starts MongoDB)');
  const url = new URL(base);
  url.pathname = `/test_${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
  const uri = url.toString();
  const { connection, db } = await connectMongo(uri, options.timeoutMs ?? 5_000, createLogger('silent'));
  return {
    connection,
    db,
    uri,
    close: async () => {
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
    },
  };
}

export const engine = () => process.env.TEST_MONGODB_ENGINE ?? 'unknown';
