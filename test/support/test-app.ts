import type { Express } from 'express';
import type { Connection } from 'mongoose';
import { buildApp } from '../../src/app';
import { parseApiKeys, type ApiKey } from '../../src/auth/api-keys';
import { parseDuration } from '../../src/duration';
import { createLogger, type Logger } from '../../src/logger';
import { ensureTokenIndexes, tokenModel, type TokenModel } from '../../src/tokens/token-model';
import { TokenRegistry, type RegistryOptions } from '../../src/tokens/token-registry';
import { openTestDatabase } from './test-db';

export const KEY_A = 'sk_test_a_0123456789';
export const KEY_B = 'sk_test_b_0123456789';
export const TEST_API_KEYS = `ws_a:${KEY_A},ws_b:${KEY_B}`;

export function testKeys(text = TEST_API_KEYS): ApiKey[] {
  const parsed = parseApiKeys(text);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  return parsed.keys;
}

export type TestApp = {
  app: Express;
  connection: Connection;
  model: TokenModel;
  registry: TokenRegistry;
  close: () => Promise<void>;
};

/** The real app on a fresh database of the shared test MongoDB server. */
export async function createTestApp(
  options: { apiKeys?: string; logger?: Logger; registry?: Partial<RegistryOptions> } = {},
): Promise<TestApp> {
  const db = await openTestDatabase();
  const model = tokenModel(db.connection);
  await ensureTokenIndexes(model);
  const registry = new TokenRegistry(model, { defaultTtl: parseDuration('2mo')!, ...options.registry });
  const app = buildApp({
    config: { apiKeys: testKeys(options.apiKeys), trustProxy: false },
    logger: options.logger ?? createLogger('silent'),
    registry,
  });
  return { app, connection: db.connection, model, registry, close: db.close };
}

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
