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
import { FailedAuthBudget } from './http/failed-auth-limit';
import { refuseTooManyHeaders } from './http/header-limit';
import { ROUTES } from './http/route-catalogue';
import { RoutePaths } from './http/route-paths';
import { requestContext } from './http/request-context';
import { sendRoutes } from './http/send-routes';
import { messageRoutes } from './http/message-routes';
import { trackingRoutes } from './http/tracking-routes';
import { webhookRoutes } from './http/webhook-routes';
import { listRoutes } from './http/list-routes';
import { audienceRoutes } from './http/audience-routes';
import { channelRoutes } from './http/channel-routes';
import { webPushRoutes } from './http/webpush-routes';
import { tokenRoutes } from './http/token-routes';
import { docsRoutes } from './http/docs-routes';
import { consoleRoutes } from './http/console-routes';
import { statsRoutes } from './http/stats-routes';
import { caseSensitiveRouter } from './http/router';

/** The authenticated routes: the route table's entries that need a key or a user token. */
const API_PATHS = new RoutePaths(ROUTES.filter((route) => route.scope !== undefined || route.apiKeyOnly || route.anyCaller));

export type AppDeps = Services & {
  config: Pick<Config, 'apiKeys' | 'trustProxy' | 'rateLimitPerMinute' | 'authFailuresPerMinute' | 'corsOrigins'> & Partial<Pick<Config, 'consoleEnabled' | 'trackingPerMinute'>> & { messages: Pick<Config['messages'], 'maxDelayMs'>; webhooks: Pick<Config['webhooks'], 'allowHttp' | 'allowPrivate'> };
  userTokens: UserTokens;
  logger: Logger;
  metrics: Metrics;
};

/** Builds the Express app from its dependencies. It never listens: server.ts (or a test) does. */
export function buildApp({ config, logger, metrics, registry, devices, messages, messageStore, idempotency, clock, webhookEndpoints, outbox, health, userTokens, credentials, stats, webPushKeys, lists, audiences, broadcasts, channels }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  app.set('case sensitive routing', true);
  app.use(requestContext(logger, metrics.observeRequest, health.draining));
  app.use(refuseTooManyHeaders);
  app.use(helmet());
  // Before authentication: a browser's preflight carries no credentials.
  app.use(corsForClientApps(config.corsOrigins));

  const api = caseSensitiveRouter();
  // A path no route has is a 404, never a 401: it needs no credentials, and never uses up an
  // address's failed-authentication budget (a browser asking for a missing asset would).
  api.use((req, _res, next) => next(API_PATHS.methodsFor(req.path).length > 0 ? undefined : 'router'));
  const failures = config.authFailuresPerMinute > 0 ? new FailedAuthBudget(config.authFailuresPerMinute) : undefined;
  api.use(authenticate(new ApiKeyStore(config.apiKeys), userTokens, failures));
  if (config.rateLimitPerMinute > 0) api.use(rateLimitPerKey(config.rateLimitPerMinute));
  api.use(jsonBody());
  api.use(tokenRoutes(registry));
  api.use(deviceRoutes(devices, registry));
  api.use(sendRoutes(messages, idempotency, { maxDelayMs: config.messages.maxDelayMs, now: clock, logger, tokens: registry, broadcasts }));
  api.use(messageRoutes(messageStore, messages, registry, broadcasts));
  api.use(webhookRoutes(webhookEndpoints, outbox, config.webhooks, clock));
  api.use(listRoutes(lists, clock));
  api.use(audienceRoutes(audiences, clock));
  api.use(channelRoutes(channels));
  api.use(authRoutes(userTokens));
  api.use(appRoutes(credentials));
  api.use(statsRoutes(stats));
  api.use(webPushRoutes(webPushKeys));
  // The API first: it is the traffic, and its first step sends every other path on at once, so an
  // API request no longer walks the routers below (they serve no API path: API_PATHS is only
  // routes with a scope or a key, and none of theirs has one).
  app.use(api);

  // Unauthenticated and not rate limited: probes, metrics, the API reference, the JWKS.
  app.use(healthRoutes(health, metrics));
  app.use(docsRoutes());
  if (config.consoleEnabled !== false) app.use(consoleRoutes());
  app.use(publicKeyRoutes(userTokens));
  // A device's tracking post: the URL is its credential (messages/tracking.ts).
  app.use(trackingRoutes(messageStore, clock, config.trackingPerMinute ?? 0));

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
