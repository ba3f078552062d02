import type { Express } from 'express';
import type { Connection } from 'mongoose';
import { buildApp } from '../../src/app';
import { parseApiKeys, type ApiKey } from '../../src/auth/api-keys';
import { parseDuration } from '../../src/duration';
import { createLogger, type Logger } from '../../src/logger';
import { ensureTokenIndexes, tokenModel, type TokenModel } from '../../src/tokens/token-model';
import { TokenRegistry, type RegistryOptions } from '../../src/tokens/token-registry';
import { openTestDatabase } from './test-db';
import { DeviceRegistry } from '../../src/tokens/device-registry';
import type { RetryConfig } from '../../src/config';
import type { ProviderRegistry } from '../../src/providers/provider-registry';
import { DeliveryStore } from '../../src/sender/delivery-store';
import { NotificationSender } from '../../src/sender/notification-sender';

/** Real back-off, in milliseconds rather than seconds, so retry tests stay quick. */
export const FAST_RETRY: RetryConfig = { maxAttempts: 3, baseDelayMs: 2, maxDelayMs: 10 };

export const KEY_A = 'sk_test_a_0123456789';
export const KEY_B = 'sk_test_b_0123456789';
export const TEST_API_KEYS = `ws_a:${KEY_A},ws_b:${KEY_B}`;

export function testKeys(text = TEST_API_KEYS): ApiKey[] {
  const parsed = parseApiKeys(text);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  return parsed.keys;
}

export type TestApp = {
  sender?: NotificationSender;
  app: Express;
  connection: Connection;
  model: TokenModel;
  registry: TokenRegistry;
  close: () => Promise<void>;
};

/** The real app on a fresh database of the shared test MongoDB server. */
export async function createTestApp(
  options: {
    apiKeys?: string;
    logger?: Logger;
    registry?: Partial<RegistryOptions>;
    /** Adds the sender and POST /send, delivering through these providers. */
    providers?: ProviderRegistry;
    retry?: RetryConfig;
  } = {},
): Promise<TestApp> {
  const db = await openTestDatabase();
  const model = tokenModel(db.connection);
  await ensureTokenIndexes(model);
  const registry = new TokenRegistry(model, { defaultTtl: parseDuration('2mo')!, ...options.registry });
  const logger = options.logger ?? createLogger('silent');
  const sender = options.providers
    ? new NotificationSender(new DeliveryStore(model), options.providers, { retry: options.retry ?? FAST_RETRY, logger })
    : undefined;
  const app = buildApp({
    config: { apiKeys: testKeys(options.apiKeys), trustProxy: false },
    logger,
    registry,
    devices: new DeviceRegistry(model, { defaultTtl: parseDuration('2mo')!, ...options.registry }),
    ...(sender ? { sender } : {}),
  });
  return { app, connection: db.connection, model, registry, ...(sender ? { sender } : {}), close: db.close };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
