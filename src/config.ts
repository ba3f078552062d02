import { z } from 'zod';
import { parseApiKeys, type ApiKey } from './auth/api-keys';
import { durationToMs, parseDuration, type Duration } from './duration';

/**
 * All configuration, parsed once at start-up from the environment. This is the only module
 * that reads process.env; everything else is handed a Config. A bad value stops start-up with
 * one message that lists every bad variable, rather than falling back to a default.
 */
const durationText = (name: string) =>
  z.string().transform((text, ctx) => {
    const duration = parseDuration(text);
    if (!duration) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a number and a unit (ms, s, m, h, d, w, mo, y), e.g. 60d` });
      return z.NEVER;
    }
    return duration;
  });

const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((text) => text === 'true' || text === '1' || text === 'yes');

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    MONGODB_URI: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'MONGODB_URI must start with mongodb:// or mongodb+srv://')
      .optional(),
    MONGODB_TIMEOUT: durationText('MONGODB_TIMEOUT').default(parseDuration('2s')!),
    EMBEDDED_DB_DIR: z.string().min(1).default('.data'),
    API_KEYS: z
      .string({ error: 'API_KEYS is required: comma-separated workspace:key pairs' })
      .transform((text, ctx) => {
        const parsed = parseApiKeys(text);
        if ('problems' in parsed) {
          for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: `API_KEYS ${problem}` });
          return z.NEVER;
        }
        return parsed.keys;
      }),
    DEFAULT_TOKEN_TTL: durationText('DEFAULT_TOKEN_TTL').default(parseDuration('2mo')!),
    SHUTDOWN_TIMEOUT: durationText('SHUTDOWN_TIMEOUT').default(parseDuration('10s')!),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(6000),
    TRUST_PROXY: booleanText.default(false),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.MONGODB_URI) {
      ctx.addIssue({
        code: 'custom',
        path: ['MONGODB_URI'],
        message: 'MONGODB_URI is required when NODE_ENV=production (the embedded database is for development only)',
      });
    }
  });

export type Config = {
  nodeEnv: 'development' | 'test' | 'production';
  host: string;
  port: number;
  logLevel: string;
  mongodbUri: string | undefined;
  mongodbTimeoutMs: number;
  embeddedDbDir: string;
  apiKeys: ApiKey[];
  defaultTokenTtl: Duration;
  shutdownTimeoutMs: number;
  rateLimitPerMinute: number;
  trustProxy: boolean;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset, as in most .env tooling.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.') || 'environment';
        return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
      }),
    );
  }
  const e = result.data;
  return {
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    mongodbUri: e.MONGODB_URI,
    mongodbTimeoutMs: durationToMs(e.MONGODB_TIMEOUT),
    embeddedDbDir: e.EMBEDDED_DB_DIR,
    apiKeys: e.API_KEYS,
    defaultTokenTtl: e.DEFAULT_TOKEN_TTL,
    shutdownTimeoutMs: durationToMs(e.SHUTDOWN_TIMEOUT),
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
  };
}
