import type { Express } from 'express';
import type { Connection } from 'mongoose';
import { buildApp } from '../../src/app';
import { parseApiKeys, type ApiKey } from '../../src/auth/api-keys';
import type { Server } from 'node:http';
import { loadConfig, type BroadcastConfig, type DeliveryConfig, type MessageConfig, type OutcomeConfig, type WorkspaceLimits, type WebhookConfig, type ExpoReceiptConfig, type HttpServerLimits, type RetryConfig } from '../../src/config';
import { createHttpServer } from '../../src/http/http-server';
import { SecretBox } from '../../src/apps/secret-box';
import { newSigningJwk, SigningKeyRing } from '../../src/auth/signing-keys';
import { UserTokens, type UserTokenOptions } from '../../src/auth/user-tokens';
import { parseDuration } from '../../src/duration';
import { createLogger, type Logger } from '../../src/logger';
import { Metrics } from '../../src/metrics';
import { ProviderRegistry } from '../../src/providers/provider-registry';
import { createServices, ensureIndexes, type Services } from '../../src/services';
import { tokenModel, type TokenModel } from '../../src/tokens/token-model';
import { openTestDatabase } from './test-db';
import type { Database } from '../../src/db/connect';

export const KEY_A = 'sk_test_a_0123456789';
export const KEY_B = 'sk_test_b_0123456789';
export const TEST_API_KEYS = `ws_a:${KEY_A},ws_b:${KEY_B}`;

/** Real back-off, in milliseconds rather than seconds, so retry tests stay quick. */
export const FAST_RETRY: RetryConfig = { maxAttempts: 3, baseDelayMs: 2, maxDelayMs: 10 };

export function testKeys(text = TEST_API_KEYS): ApiKey[] {
  const parsed = parseApiKeys(text);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  return parsed.keys;
}

export type TestApp = Services & {
  app: Express;
  userTokens: UserTokens;
  /** The app inside the service's own HTTP server (timeouts, connection cap, 4xx for bad HTTP); not yet listening. */
  server: Server;
  connection: Connection;
  database: Database;
  model: TokenModel;
  metrics: Metrics;
  close: () => Promise<void>;
};

/** The real app, wired as server.ts wires it, on a fresh database of the shared test MongoDB server. */
export async function createTestApp(
  options: {
    apiKeys?: string;
    logger?: Logger;
    /** The providers POST /send delivers through; none by default (every token: no adapter). */
    providers?: ProviderRegistry;
    retry?: RetryConfig;
    rateLimitPerMinute?: number;
    /** TRACKING_PER_MINUTE; off (0) unless given. */
    trackingPerMinute?: number;
    /** Off unless a test is about it: many tests fail authentication on purpose. */
    authFailuresPerMinute?: number;
    draining?: () => boolean;
    /** A database another test app already uses (two replicas, a restart): not dropped or closed by close(). */
    database?: Database;
    /** Another MongoDB server than the shared one, and the service's MONGODB_TIMEOUT for it. */
    mongo?: { uri: string; timeoutMs: number };
    http?: Partial<HttpServerLimits>;
    /** Endpoints and limits of clients built from API credentials (the simulators, in tests). */
    delivery?: Partial<DeliveryConfig>;
    invalidationGuard?: { minTokens: number; maxShare: number };
    corsOrigins?: '*' | string[];
    /** The user-token service; by default one with a fresh ES256 key and no workspace keys. */
    userTokens?: UserTokens;
    /** The credentials' key ring; a fresh key by default, `null` for none (production without CREDENTIALS_KEYS). */
    credentialsKeys?: string | null;
    /** When the Expo receipt checker first asks, and how often after; 15 min and 1 min by default. */
    expoReceipts?: ExpoReceiptConfig;
    /** MAX_TOKENS_PER_USER and MAX_BYTES_PER_USER; the defaults otherwise. */
    userLimits?: { maxTokens: number; maxBytes: number };
    /** Webhook delivery settings; the defaults otherwise (https only, no private addresses). */
    webhooks?: Partial<WebhookConfig>;
    /** The message log's settings (PUBLIC_URL for tracking, the scheduler's interval…); the defaults otherwise. */
    messages?: Partial<MessageConfig>;
    /** After dispatch: SEND_APPLY_GRACE and LAST_USED_INTERVAL; the defaults otherwise. */
    outcomes?: Partial<OutcomeConfig>;
    /** MAX_WEBHOOK_ENDPOINTS, MAX_CREDENTIALS, MAX_APPS; the defaults otherwise. */
    workspaceLimits?: Partial<WorkspaceLimits>;
    /** Broadcast settings (chunk size, lease, interval, rates); the defaults otherwise. */
    broadcast?: Partial<BroadcastConfig>;
    /** The clock of the sender and the receipt checker (receipt tests move it by hours). */
    now?: () => Date;
  } = {},
): Promise<TestApp> {
  const db = options.database ? { ...options.database, close: async () => undefined } : await openTestDatabase(options.mongo ?? {});
  const model = tokenModel(db.connection);
  await ensureIndexes(db);
  const logger = options.logger ?? createLogger('silent');
  const metrics = new Metrics();
  const keysText = options.credentialsKeys === undefined ? SecretBox.newKeyEntry('test1') : options.credentialsKeys;
  const parsedKeys = keysText === null ? undefined : SecretBox.parse(keysText);
  if (parsedKeys && 'problems' in parsedKeys) throw new Error(parsedKeys.problems.join('; '));
  const messages: MessageConfig = { ...loadConfig({ API_KEYS: TEST_API_KEYS }).messages, ...options.messages };
  const webhooks: WebhookConfig = { ...loadConfig({ API_KEYS: TEST_API_KEYS }).webhooks, ...options.webhooks };
  const services = createServices({
    credentialsBox: parsedKeys?.box,
    database: db,
    providers: options.providers ?? ProviderRegistry.of([]),
    config: { defaultTokenTtl: parseDuration('2mo')!, userLimits: options.userLimits ?? loadConfig({ API_KEYS: TEST_API_KEYS }).userLimits, retry: options.retry ?? FAST_RETRY, delivery: { ...loadConfig({ API_KEYS: TEST_API_KEYS }).delivery, ...options.delivery }, invalidationGuard: options.invalidationGuard ?? { minTokens: 20, maxShare: 0.5 }, expoReceipts: options.expoReceipts ?? { delayMs: 15 * 60_000, intervalMs: 60_000 }, messages, webhooks, outcomes: { ...loadConfig({ API_KEYS: TEST_API_KEYS }).outcomes, ...options.outcomes }, workspaceLimits: { ...loadConfig({ API_KEYS: TEST_API_KEYS }).workspaceLimits, ...options.workspaceLimits }, broadcast: { ...loadConfig({ API_KEYS: TEST_API_KEYS }).broadcast, ...options.broadcast } },
    ...(options.now ? { now: options.now } : {}),
    logger,
    metrics,
    draining: options.draining ?? (() => false),
  });
  const userTokens = options.userTokens ?? (await testUserTokens());
  const app = buildApp({
    config: { apiKeys: testKeys(options.apiKeys), trustProxy: false, rateLimitPerMinute: options.rateLimitPerMinute ?? 0, trackingPerMinute: options.trackingPerMinute ?? 0, authFailuresPerMinute: options.authFailuresPerMinute ?? 0, corsOrigins: options.corsOrigins, messages, webhooks },
    userTokens,
    logger,
    metrics,
    ...services,
  });
  const server = createHttpServer(app, { ...loadConfig({ API_KEYS: TEST_API_KEYS }).http, ...options.http });
  return {
    app, server, userTokens, connection: db.connection, database: { connection: db.connection, db: db.db }, model, metrics, ...services,
    close: async () => {
      await services.stop();
      await db.close();
    },
  };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** A user-token service with a fresh ES256 signing key (and, optionally, workspace keys). */
export async function testUserTokens(options: { workspaceKeys?: UserTokenOptions['workspaceKeys']; maxTtlSeconds?: number; now?: () => number } = {}): Promise<UserTokens> {
  const ring = await SigningKeyRing.fromJwks({ keys: [await newSigningJwk()] }, 'test keys');
  return new UserTokens({ ring, workspaceKeys: options.workspaceKeys, maxTtlSeconds: options.maxTtlSeconds ?? 30 * 86_400, now: options.now });
}
