import { startLocalMongo, type LocalMongoEngine } from '../../src/db/local-mongo';

/**
 * A MongoDB wire server for tests and benchmarks, in the order the project promises:
 *   1. MONGODB_URI, if set;
 *   2. a real mongod through mongodb-memory-server, where one is installed, cached or downloadable;
 *   3. mongo-java-server from Maven Central, as on machines with no internet.
 * The choice between 2 and 3 is src/db/local-mongo.ts, the same as `npm start` makes.
 */
export type AnyMongo = { uri: string; engine: 'external' | LocalMongoEngine; why: string; stop: () => Promise<void> };

export async function startAnyMongo(options: { log: (line: string) => void }): Promise<AnyMongo> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, engine: 'external', why: 'MONGODB_URI is set', stop: async () => undefined };
  const mongo = await startLocalMongo({
    systemBinary: process.env.MONGOMS_SYSTEM_BINARY,
    searchPath: process.env.PATH,
    log: (line, detail) => options.log(detail ? `${line}\n${detail.stack ?? detail.message}` : line),
  });
  return { uri: mongo.uri, engine: mongo.engine, why: mongo.why, stop: mongo.stop };
}
