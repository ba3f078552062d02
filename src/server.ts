import type { Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildApp } from './app';
import { createHttpServer } from './http/http-server';
import { ConfigError, loadConfig, type Config } from './config';
import { connectMongo } from './db/connect';
import { EMBEDDED_URI_FILE, startEmbeddedMongo } from './db/embedded-mongo';
import type { RunningMongo } from './db/mongo-java-server';
import { createLogger, errorForLog, flushLogger, type Logger } from './logger';
import { Metrics } from './metrics';
import { ProviderRegistry } from './providers/provider-registry';
import { endOfLifeWarning } from './runtime-support';
import { createServices, ensureIndexes } from './services';
import { armCrashPoint } from './crash-points';
import { userTokensFromConfig } from './auth/user-token-setup';
import { credentialsBoxFromConfig } from './apps/credentials-setup';

export type RunningServer = { server: Server; port: number; stop: () => Promise<void> };

/**
 * Starts the service: providers (credentials first, so a bad key fails at once), database,
 * indexes, HTTP. stop() drains: no new connections, in-flight requests finish (their
 * connections then close), then providers and MongoDB are closed.
 */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const providers = ProviderRegistry.fromConfig(config);
  const userTokens = await userTokensFromConfig(config);
  logger.info({ providers: providers.configured() }, 'push providers loaded');
  let embedded: RunningMongo | undefined;
  let uri = config.mongodbUri;
  if (!uri) {
    embedded = await startEmbeddedMongo(config.embeddedDbDir, logger, config.embeddedMongod);
    uri = embedded.uri;
    writeFileSync(path.join(config.embeddedDbDir, EMBEDDED_URI_FILE), `${uri}\n`);
  }
  const database = await connectMongo(uri, config.mongodbTimeoutMs, logger, { startupWaitMs: config.mongodbStartupWaitMs });
  await ensureIndexes(database);

  let draining = false;
  const metrics = new Metrics();
  const credentialsBox = credentialsBoxFromConfig(config);
  const services = createServices({ database, providers, config, credentialsBox, logger, metrics, draining: () => draining });
  const app = buildApp({ config, logger, metrics, userTokens, ...services });
  // Always: per-app Expo credentials send (and leave tickets) even when EXPO_ENABLED=false.
  services.start();

  const server = createHttpServer(app, config.http);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port }, 'listening');

  const stop = async () => {
    draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Idle keep-alive connections would hold close() open; busy ones close after their response.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.closeIdleConnections();
    await closed;
    clearInterval(sweep);
    await services.stop();
    await providers.close();
    await database.connection.close();
    await embedded?.stop();
  };
  return { server, port, stop };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  armCrashPoint(config.crashPoint);
  const logger = createLogger(config.logLevel);
  const runtimeWarning = endOfLifeWarning(process.version, new Date());
  if (runtimeWarning) logger.warn({ node: process.version }, runtimeWarning);
  const running = await startServer(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, timeout_ms: config.shutdownTimeoutMs }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      logger.error({ timeout_ms: config.shutdownTimeoutMs }, 'shutdown timed out; closing remaining connections and exiting');
      running.server.closeAllConnections();
      void flushLogger(logger).finally(() => process.exit(1));
    }, config.shutdownTimeoutMs);
    timer.unref();
    running.stop().then(
      async () => {
        logger.info('stopped');
        await flushLogger(logger);
        process.exit(0);
      },
      async (error: unknown) => {
        logger.error({ error: errorForLog(error) }, 'shutdown failed');
        await flushLogger(logger);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`Failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
