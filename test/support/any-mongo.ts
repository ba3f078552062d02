import { startMongoJavaServer } from '../../src/db/mongo-java-server';

/**
 * A MongoDB wire server for tests and benchmarks, in the order the project promises:
 *   1. MONGODB_URI, if set;
 *   2. mongodb-memory-server, a real mongod (where mongod is installed or downloadable);
 *   3. mongo-java-server from Maven Central, as on machines with no internet.
 */
export type AnyMongo = { uri: string; engine: 'external' | 'mongod' | 'mongo-java-server'; stop: () => Promise<void> };

export async function startAnyMongo(options: { log?: (line: string) => void } = {}): Promise<AnyMongo> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, engine: 'external', stop: async () => undefined };
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server');
    const server = await MongoMemoryServer.create();
    return {
      uri: server.getUri(),
      engine: 'mongod',
      stop: async () => {
        await server.stop();
      },
    };
  } catch (error) {
    options.log?.(`mongod unavailable (${(error as Error).message.split('\n')[0]}); starting mongo-java-server`);
    const server = await startMongoJavaServer();
    return { uri: server.uri, engine: 'mongo-java-server', stop: server.stop };
  }
}
