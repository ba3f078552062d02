import { startMongoJavaServer } from '../../src/db/mongo-java-server';

/**
 * Starts the one MongoDB wire server that every test file shares (each file uses its own
 * database). The order is the one the project promises:
 *   1. MONGODB_URI, if set;
 *   2. mongodb-memory-server, a real mongod (where mongod is installed or downloadable);
 *   3. mongo-java-server from Maven Central, as on machines with no internet.
 */
type Stop = () => Promise<void>;
const globals = globalThis as typeof globalThis & { __stopTestMongo?: Stop };

export default async function globalSetup(): Promise<void> {
  if (process.env.MONGODB_URI) {
    process.env.TEST_MONGODB_URI = process.env.MONGODB_URI;
    process.env.TEST_MONGODB_ENGINE = 'external';
    return;
  }
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server');
    const server = await MongoMemoryServer.create();
    process.env.TEST_MONGODB_URI = server.getUri();
    process.env.TEST_MONGODB_ENGINE = 'mongod';
    globals.__stopTestMongo = async () => {
      await server.stop();
    };
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    process.stdout.write(`\nmongod unavailable (${reason}); starting mongo-java-server\n`);
    const server = await startMongoJavaServer();
    process.env.TEST_MONGODB_URI = server.uri;
    process.env.TEST_MONGODB_ENGINE = 'mongo-java-server';
    globals.__stopTestMongo = server.stop;
  }
  process.stdout.write(`MongoDB for tests: ${process.env.TEST_MONGODB_ENGINE}\n`);
}
