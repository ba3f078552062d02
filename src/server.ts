import type { Server } from 'node:http';
import { buildApp } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { connectMongo } from './db/connect';
import { startEmbeddedMongo } from './db/embedded-mongo';
import type { RunningMongo } from './db/mongo-java-server';
import { createLogger, type Logger } from './logger';
import { ensureTokenIndexes, tokenModel } from './tokens/token-model';
import { TokenRegistry } from './tokens/token-registry';
import { DeviceRegistry } from './tokens/device-registry';
import { ProviderRegistry } from './providers/provider-registry';
import { DeliveryStore } from './sender/delivery-store';
import { NotificationSender } from './sender/notification-sender';

/** Starts the service: config, database, indexes, HTTP. Returns a stop() for graceful shutdown. */
export async function startServer(config: Config, logger: Logger): Promise<{ server: Server; stop: () => Promise<void> }> {
  // Credentials first: a bad key file should stop start-up before anything else is started.
  const providers = ProviderRegistry.fromConfig(config);
  logger.info({ providers: providers.configured() }, 'push providers loaded');
  let embedded: RunningMongo | undefined;
  let uri = config.mongodbUri;
  if (!uri) {
    embedded = await startEmbeddedMongo(config.embeddedDbDir, logger);
    uri = embedded.uri;
  }
  const connection = await connectMongo(uri, config.mongodbTimeoutMs, logger);
  const model = tokenModel(connection);
  await ensureTokenIndexes(model);
  const registry = new TokenRegistry(model, { defaultTtl: config.defaultTokenTtl });
  const sender = new NotificationSender(new DeliveryStore(model), providers, { retry: config.retry, logger });
  const devices = new DeviceRegistry(model, { defaultTtl: config.defaultTokenTtl });
  const app = buildApp({ config, logger, registry, devices, sender });

  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(config.port, config.host, () => resolve(listening));
  });
  const address = server.address();
  logger.info({ port: typeof address === 'object' && address ? address.port : config.port }, 'listening');

  const stop = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await providers.close();
    await connection.close();
    await embedded?.stop();
  };
  return { server, stop };
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
  const logger = createLogger(config.logLevel);
  const { stop } = await startServer(config, logger);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeout_ms: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: (error as Error).message }, 'shutdown failed');
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
