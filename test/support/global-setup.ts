import { startAnyMongo } from './any-mongo';

/** Starts the one MongoDB wire server that every test file shares (each file uses its own database). */
const globals = globalThis as typeof globalThis & { __stopTestMongo?: () => Promise<void> };

export default async function globalSetup(): Promise<void> {
  const mongo = await startAnyMongo({ log: (line) => process.stdout.write(`\n[tests] ${line}\n`) });
  process.env.TEST_MONGODB_URI = mongo.uri;
  process.env.TEST_MONGODB_ENGINE = mongo.engine;
  globals.__stopTestMongo = mongo.stop;
}
