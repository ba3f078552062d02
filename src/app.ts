import express, { type Express } from 'express';
import helmet from 'helmet';
import { ApiKeyStore } from './auth/api-keys';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { Services } from './services';
import type { UserTokens } from './auth/user-tokens';
import { authenticate } from './http/auth';
import { appRoutes } from './http/app-routes';
import { authRoutes, publicKeyRoutes } from './http/auth-routes';
import { corsForClientApps } from './http/cors';
import { deviceRoutes } from './http/device-routes';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { healthRoutes } from './http/health-routes';
import { jsonBody } from './http/json-body';
import { rateLimitPerKey } from './http/rate-limit';
import { limitFailedAuthentication } from './http/failed-auth-limit';
import { requestContext } from './http/request-context';
import { sendRoutes } from './http/send-routes';
import { tokenRoutes } from './http/token-routes';
import { docsRoutes } from './http/docs-routes';
import { consoleRoutes } from './http/console-routes';
import { statsRoutes } from './http/stats-routes';
import { caseSensitiveRouter } from './http/router';

export type AppDeps = Services & {
  config: Pick<Config, 'apiKeys' | 'trustProxy' | 'rateLimitPerMinute' | 'authFailuresPerMinute' | 'corsOrigins'> & Partial<Pick<Config, 'consoleEnabled'>>;
  userTokens: UserTokens;
  logger: Logger;
  metrics: Metrics;
};

/** Builds the Express app from its dependencies. It never listens: server.ts (or a test) does. */
export function buildApp({ config, logger, metrics, registry, devices, sender, health, userTokens, credentials, stats }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  app.set('case sensitive routing', true);
  app.use(requestContext(logger, metrics.observeRequest, health.draining));
  app.use(helmet());
  // Before authentication: a browser's preflight carries no credentials.
  app.use(corsForClientApps(config.corsOrigins));

  // Unauthenticated and not rate limited: probes, metrics, the API reference, the JWKS.
  app.use(healthRoutes(health, metrics));
  app.use(docsRoutes());
  if (config.consoleEnabled !== false) app.use(consoleRoutes());
  app.use(publicKeyRoutes(userTokens));

  const api = caseSensitiveRouter();
  if (config.authFailuresPerMinute > 0) api.use(limitFailedAuthentication(config.authFailuresPerMinute));
  api.use(authenticate(new ApiKeyStore(config.apiKeys), userTokens));
  if (config.rateLimitPerMinute > 0) api.use(rateLimitPerKey(config.rateLimitPerMinute));
  api.use(jsonBody());
  api.use(tokenRoutes(registry));
  api.use(deviceRoutes(devices, registry));
  api.use(sendRoutes(sender));
  api.use(authRoutes(userTokens));
  api.use(appRoutes(credentials));
  api.use(statsRoutes(stats));
  app.use(api);

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
