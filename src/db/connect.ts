import mongoose, { type Connection } from 'mongoose';
import type { Logger } from '../logger';

/**
 * Fails fast instead of queueing: no mongoose buffering (10 s by default) and a short server
 * selection timeout (30 s by default), so a request answers 503 within MONGODB_TIMEOUT while
 * the database is down, and the driver reconnects by itself when it comes back.
 */
export async function connectMongo(uri: string, timeoutMs: number, logger: Logger): Promise<Connection> {
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
  await connection.asPromise();
  return connection;
}
