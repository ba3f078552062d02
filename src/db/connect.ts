import mongoose, { type Connection } from 'mongoose';
import type { Db } from 'mongodb';
import type { Logger } from '../logger';

/**
 * Fails fast instead of queueing: no mongoose buffering (10 s by default) and a short server
 * selection timeout (30 s by default), so a request answers 503 within MONGODB_TIMEOUT while
 * the database is down, and the driver reconnects by itself when it comes back.
 */
/** A connected database: mongoose's connection (the tokens model) and the driver's handle (everything else). */
export type Database = { connection: Connection; db: Db };

export async function connectMongo(uri: string, timeoutMs: number, logger: Logger, options: { startupWaitMs?: number } = {}): Promise<Database> {
  const deadline = Date.now() + (options.startupWaitMs ?? 0);
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectOnce(uri, timeoutMs, logger);
    } catch (error) {
      // At start-up the database may still be coming up (a replica set electing its primary):
      // try again for MONGODB_STARTUP_WAIT, then give up with the driver's own error.
      const waitMs = Math.min(5_000, 500 * 2 ** (attempt - 1));
      if (Date.now() + waitMs > deadline) throw error;
      logger.warn({ attempt, retry_in_ms: waitMs, reason: (error as Error).name }, 'MongoDB not reachable yet at start-up; retrying');
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

async function connectOnce(uri: string, timeoutMs: number, logger: Logger): Promise<Database> {
  const connection = mongoose.createConnection(uri, {
    bufferCommands: false,
    autoIndex: false,
    autoCreate: false,
    serverSelectionTimeoutMS: timeoutMs,
    // Not the request deadline (server selection is): the heartbeat's socket timeout too, and a
    // busy server missing one heartbeat must not clear the pool under in-flight queries.
    connectTimeoutMS: 10_000,
    heartbeatFrequencyMS: 2_000,
    maxPoolSize: 50,
  });
  connection.on('disconnected', () => logger.warn('MongoDB disconnected'));
  connection.on('reconnected', () => logger.info('MongoDB reconnected'));
  try {
    await connection.asPromise();
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
  // Set once connected: asPromise resolves only then.
  return { connection, db: connection.db! };
}
