import express, { type Express } from 'express';
import helmet from 'helmet';
import { ApiKeyStore } from './auth/api-keys';
import type { Config } from './config';
import type { Logger } from './logger';
import { authenticate } from './http/auth';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { jsonBody } from './http/json-body';
import { requestContext } from './http/request-context';
import { tokenRoutes } from './http/token-routes';
import type { NotificationSender } from './sender/notification-sender';
import type { TokenRegistry } from './tokens/token-registry';
import { sendRoutes } from './http/send-routes';
import { deviceRoutes } from './http/device-routes';
import type { DeviceRegistry } from './tokens/device-registry';

export type AppDeps = {
  config: Pick<Config, 'apiKeys' | 'trustProxy'>;
  logger: Logger;
  registry: TokenRegistry;
  devices: DeviceRegistry;
  sender?: NotificationSender;
};

/** Builds the Express app from its dependencies. It never listens: server.ts (or a test) does. */
export function buildApp({ config, logger, registry, devices, sender }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  app.use(requestContext(logger));
  app.use(helmet());

  const api = express.Router();
  api.use(authenticate(new ApiKeyStore(config.apiKeys)));
  api.use(jsonBody());
  api.use(tokenRoutes(registry));
  api.use(deviceRoutes(devices, registry));
  if (sender) api.use(sendRoutes(sender));
  app.use(api);

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
