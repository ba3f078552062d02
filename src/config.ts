import { z } from 'zod';
import { SecretBox } from './apps/secret-box';
import { parseApiKeys, type ApiKey } from './auth/api-keys';
import { durationToMs, parseDuration, type Duration } from './duration';
import { UUID_PATTERN } from './tokens/token-formats';
import { APNS_DEFAULT_MAX_IN_FLIGHT, FCM_DEFAULT_CONCURRENT_BATCHES } from './providers/limits';
import type { ApnsConfig, DeliveryConfig, ExpoConfig, FcmConfig, OneSignalConfig, VapidKeys } from './providers/provider-settings';
import { vapidProblems } from './providers/webpush-vapid';
import { DEFAULT_WEBPUSH_HOSTS } from './tokens/webpush-endpoint';
import type { ProviderKey } from './tokens/token-fields';

export type { ApnsConfig, FcmConfig } from './providers/provider-settings';
export type { DeliveryConfig, ProviderEndpoints } from './providers/provider-settings';

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

/** An origin such as https://127.0.0.1:8443: where a provider's traffic goes instead of the real service. */
const originText = (name: string) =>
  z.string().transform((text, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || url.protocol !== 'https:' || (url.pathname !== '/' && url.pathname !== '')) {
      ctx.addIssue({ code: 'custom', message: `${name} must be an https origin such as https://127.0.0.1:8443` });
      return z.NEVER;
    }
    return url;
  });

/** PUBLIC_URL: an http(s) URL, path allowed (behind a proxy), no query or fragment. */
const publicUrlText = z.string().transform((text, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: 'PUBLIC_URL must be an http(s) URL such as https://push.example.com, without query or fragment' });
    return z.NEVER;
  }
  return url;
});

const mongodbUri = z.string().regex(/^mongodb(\+srv)?:\/\//, 'MONGODB_URI must start with mongodb:// or mongodb+srv://');

const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((text) => text === 'true' || text === '1' || text === 'yes');

/**
 * Express's `trust proxy`: false, true (every hop: only behind a proxy that overwrites
 * X-Forwarded-For), a number of hops, or a comma-separated list of proxy addresses or CIDRs.
 */
const trustProxyText = z.string().transform((text, ctx): boolean | number | string[] => {
  if (text === 'true' || text === 'yes') return true;
  if (text === 'false' || text === 'no') return false;
  if (/^\d+$/.test(text)) return Number(text);
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length > 0 && entries.every((entry) => /^[0-9A-Fa-f:.]+(\/\d{1,3})?$|^(loopback|linklocal|uniquelocal)$/.test(entry))) return entries;
  ctx.addIssue({ code: 'custom', message: 'TRUST_PROXY must be true, false, a number of hops, or a comma-separated list of addresses/CIDRs' });
  return z.NEVER;
});

/** CORS_ORIGINS: `*`, or a comma-separated list of origins such as https://app.example.com. */
const corsOriginsText = z.string().transform((text, ctx): '*' | string[] => {
  if (text.trim() === '*') return '*';
  const origins = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  const bad = origins.filter((origin) => {
    try {
      const url = new URL(origin);
      return !['http:', 'https:'].includes(url.protocol) || url.origin !== origin;
    } catch {
      return true;
    }
  });
  if (origins.length === 0 || bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: `CORS_ORIGINS must be * or origins like https://app.example.com (no path, no trailing slash)${bad.length ? `; not an origin: ${bad.join(', ')}` : ''}` });
    return z.NEVER;
  }
  return origins;
});

/** CREDENTIALS_KEYS, parsed into its key ring (the service and the admin CLI read it alike). */
const credentialsKeysText = z.string().transform((text, ctx) => {
  const parsed = SecretBox.parse(text);
  if ('problems' in parsed) {
    for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: `CREDENTIALS_KEYS ${problem}` });
    return z.NEVER;
  }
  return parsed.box;
});

/** Expo settings, shared by the service's and the admin CLI's schemas. */
const expoFields = {
  EXPO_ENABLED: booleanText.default(true),
  EXPO_ACCESS_TOKEN: z.string().min(8, 'EXPO_ACCESS_TOKEN must be an Expo access token').optional(),
  EXPO_BASE_URL: originText('EXPO_BASE_URL').optional(),
  EXPO_RECEIPT_DELAY: durationText('EXPO_RECEIPT_DELAY').default(parseDuration('15m')!),
  EXPO_RECEIPT_INTERVAL: durationText('EXPO_RECEIPT_INTERVAL').default(parseDuration('1m')!),
};

/** WEBPUSH_ALLOWED_HOSTS: comma-separated host names, `*.` for any name below one. */
const hostListText = z.string().transform((text, ctx) => {
  const hosts = text.split(',').map((entry) => entry.trim().toLowerCase()).filter(Boolean);
  const bad = hosts.filter((entry) => {
    const host = entry.replace(/:(\d{1,5}|\*)$/, '');
    return !/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host) && !/^[0-9.]+$/.test(host);
  });
  if (hosts.length === 0 || bad.length > 0) {
    ctx.addIssue({ code: 'custom', message: `WEBPUSH_ALLOWED_HOSTS must be comma-separated host names, with *. for a wildcard and :port for a port other than 443 (e.g. fcm.googleapis.com,*.push.apple.com,push.test:8443)${bad.length ? `; not a host name: ${bad.join(', ')}` : ''}` });
    return z.NEVER;
  }
  return hosts;
});

const guardFields = {
  INVALIDATION_GUARD_MIN_TOKENS: z.coerce.number().int().min(1).default(20),
  INVALIDATION_GUARD_MAX_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
};

const apiKeysField = z
  .string({ error: 'API_KEYS is required: comma-separated workspace:key pairs' })
  .transform((text, ctx) => {
    const parsed = parseApiKeys(text);
    if ('problems' in parsed) {
      for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: `API_KEYS ${problem}` });
      return z.NEVER;
    }
    return parsed.keys;
  });

/** Every variable the service and the admin CLI both read (API_KEYS aside: the CLI reads it only as text). */
const envFields = {
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    MONGODB_URI: mongodbUri.optional(),
    // Under 2 s, so a request answers 503 within 2 s while the database is down.
    MONGODB_TIMEOUT: durationText('MONGODB_TIMEOUT').default(parseDuration('1500ms')!),
    // How long start-up keeps trying to reach MONGODB_URI before it gives up (0 tries once).
    MONGODB_STARTUP_WAIT: durationText('MONGODB_STARTUP_WAIT').default(parseDuration('60s')!),
    EMBEDDED_DB_DIR: z.string().min(1).default('.data'),
    // Read by mongodb-memory-server too; here to pick the embedded database's engine before starting it.
    MONGOMS_SYSTEM_BINARY: z.string().optional(),
    PATH: z.string().optional(),
    DEFAULT_TOKEN_TTL: durationText('DEFAULT_TOKEN_TTL').default(parseDuration('2mo')!),
    // What one user may keep (src/tokens/user-budget-plan.ts): it bounds a send's fan-out too.
    MAX_TOKENS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(100),
    // At least the largest single token (MAX_TOKEN_JSON_BYTES) with room to spare.
    MAX_BYTES_PER_USER: z.coerce.number().int().min(128 * 1024, 'MAX_BYTES_PER_USER must be at least 131072 (128 KiB)').default(1024 * 1024),
    SHUTDOWN_TIMEOUT: durationText('SHUTDOWN_TIMEOUT').default(parseDuration('10s')!),
    REQUEST_TIMEOUT: durationText('REQUEST_TIMEOUT').default(parseDuration('60s')!),
    HEADERS_TIMEOUT: durationText('HEADERS_TIMEOUT').default(parseDuration('20s')!),
    KEEP_ALIVE_TIMEOUT: durationText('KEEP_ALIVE_TIMEOUT').default(parseDuration('65s')!),
    MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(6000),
    // Tracking posts (POST /t/…, no key) per client address per minute; 0 turns it off.
    TRACKING_PER_MINUTE: z.coerce.number().int().min(0).default(600),
    USER_TOKEN_SIGNING_KEYS_FILE: z.string().min(1).optional(),
    USER_TOKEN_MAX_TTL: durationText('USER_TOKEN_MAX_TTL').default(parseDuration('30d')!),
    WORKSPACE_JWT_KEYS_FILE: z.string().min(1).optional(),
    CORS_ORIGINS: corsOriginsText.optional(),
    CREDENTIALS_KEYS: credentialsKeysText.optional(),
    TRUST_PROXY: trustProxyText.default(false),
    AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).default(30),
    APNS_KEY_FILE: z.string().optional(),
    APNS_KEY_ID: z.string().regex(/^[A-Z0-9]{10}$/, 'APNS_KEY_ID must be the 10-character key id from Apple').optional(),
    APNS_TEAM_ID: z.string().regex(/^[A-Z0-9]{10}$/, 'APNS_TEAM_ID must be the 10-character team id from Apple').optional(),
    APNS_TOPIC: z.string().min(1).optional(),
    APNS_PRODUCTION: booleanText.default(false),
    APNS_ENDPOINT: originText('APNS_ENDPOINT').optional(),
    APNS_SANDBOX_ENDPOINT: originText('APNS_SANDBOX_ENDPOINT').optional(),
    APNS_CHANNELS_ENDPOINT: originText('APNS_CHANNELS_ENDPOINT').optional(),
    APNS_CHANNELS_SANDBOX_ENDPOINT: originText('APNS_CHANNELS_SANDBOX_ENDPOINT').optional(),
    MAX_LIVE_ACTIVITY_CHANNELS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    ONESIGNAL_APP_ID: z.string().regex(UUID_PATTERN, 'ONESIGNAL_APP_ID must be the app id (a UUID) from OneSignal').optional(),
    ONESIGNAL_API_KEY: z.string().min(8).optional(),
    ONESIGNAL_ENDPOINT: originText('ONESIGNAL_ENDPOINT').optional(),
    ...expoFields,
    PROVIDER_CLIENT_IDLE: durationText('PROVIDER_CLIENT_IDLE').default(parseDuration('15m')!),
    PROVIDER_CLIENT_MAX: z.coerce.number().int().min(1).max(10_000).default(200),
    APNS_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(APNS_DEFAULT_MAX_IN_FLIGHT),
    FCM_SERVICE_ACCOUNT_FILE: z.string().optional(),
    FCM_ENDPOINT: originText('FCM_ENDPOINT').optional(),
    FCM_CONCURRENT_BATCHES: z.coerce.number().int().min(1).max(20).default(FCM_DEFAULT_CONCURRENT_BATCHES),
    FCM_BATCH_TIMEOUT: durationText('FCM_BATCH_TIMEOUT').default(parseDuration('60s')!),
    ...guardFields,
    CONSOLE_ENABLED: booleanText.default(true),
    // The message log (src/messages): how long messages are kept, how far ahead a send may be delayed, how long an Idempotency-Key holds.
    MESSAGE_RETENTION: durationText('MESSAGE_RETENTION').default(parseDuration('30d')!),
    MAX_DELAY: durationText('MAX_DELAY').default(parseDuration('7d')!),
    IDEMPOTENCY_TTL: durationText('IDEMPOTENCY_TTL').default(parseDuration('24h')!),
    // What one workspace may have: delayed messages waiting, webhook endpoints, credentials, apps.
    MAX_PENDING_DELAYED: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
    MAX_WEBHOOK_ENDPOINTS: z.coerce.number().int().min(1).max(1_000).default(20),
    MAX_CREDENTIALS: z.coerce.number().int().min(1).max(100_000).default(200),
    MAX_APPS: z.coerce.number().int().min(1).max(100_000).default(200),
    // Lists and audiences (src/audiences): how many a workspace may have, and how many users one list may hold.
    MAX_LISTS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
    MAX_LIST_SUBSCRIBERS: z.coerce.number().int().min(1).max(1_000_000_000).default(10_000_000),
    MAX_AUDIENCES: z.coerce.number().int().min(1).max(100_000).default(1_000),
    // Broadcasts (src/broadcast): tokens per chunk, how long a replica's claim on a chunk lasts, how often each replica looks for chunks, and how many it sends at once.
    BROADCAST_CHUNK_SIZE: z.coerce.number().int().min(10).max(10_000).default(1_000),
    BROADCAST_LEASE: durationText('BROADCAST_LEASE').default(parseDuration('60s')!),
    BROADCAST_INTERVAL: durationText('BROADCAST_INTERVAL').default(parseDuration('500ms')!),
    BROADCAST_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    MAX_ACTIVE_BROADCASTS: z.coerce.number().int().min(1).max(100_000).default(100),
    // Each provider's pace for broadcasts, per credential (or the instance's client), in notifications a second, shared by all replicas; 0: no limit.
    BROADCAST_RATE_EXPO: z.coerce.number().int().min(0).max(10_000_000).default(600),
    BROADCAST_RATE_FCM: z.coerce.number().int().min(0).max(10_000_000).default(10_000),
    BROADCAST_RATE_APNS: z.coerce.number().int().min(0).max(10_000_000).default(0),
    BROADCAST_RATE_ONESIGNAL: z.coerce.number().int().min(0).max(10_000_000).default(0),
    BROADCAST_RATE_WEBPUSH: z.coerce.number().int().min(0).max(10_000_000).default(0),
    // How often each replica looks for delayed messages that are due.
    SCHEDULER_INTERVAL: durationText('SCHEDULER_INTERVAL').default(parseDuration('1s')!),
    // How long a replica's claim on a due delayed message keeps the others off it; renewed every third of it while the message is sent.
    SCHEDULER_LEASE: durationText('SCHEDULER_LEASE').default(parseDuration('60s')!),
    // After dispatch (src/outcomes): how long a send result waits for its writer before any replica applies it; how stale last_used_at must be for a delivery to rewrite it.
    SEND_APPLY_GRACE: durationText('SEND_APPLY_GRACE').default(parseDuration('30s')!),
    LAST_USED_INTERVAL: durationText('LAST_USED_INTERVAL').default(parseDuration('1h')!),
    // Where devices reach this service: turns on the trackingUrl in every push.
    PUBLIC_URL: publicUrlText.optional(),
    // Webhooks (src/webhooks): plain http and private addresses are for development and tests only.
    WEBHOOK_ALLOW_HTTP: booleanText.default(false),
    WEBHOOK_ALLOW_PRIVATE: booleanText.default(false),
    WEBHOOK_DISABLE_AFTER: durationText('WEBHOOK_DISABLE_AFTER').default(parseDuration('5d')!),
    WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
    WEBHOOK_INTERVAL: durationText('WEBHOOK_INTERVAL').default(parseDuration('1s')!),
    // The whole of one delivery attempt: connecting, sending, and reading the answer's first 1 KB.
    WEBHOOK_TIMEOUT: durationText('WEBHOOK_TIMEOUT').default(parseDuration('15s')!),
    // Web Push (src/providers/webpush-*.ts): the instance-wide VAPID keys, and which push services endpoints may be on.
    WEBPUSH_VAPID_PUBLIC_KEY: z.string().optional(),
    WEBPUSH_VAPID_PRIVATE_KEY: z.string().optional(),
    WEBPUSH_SUBJECT: z.string().optional(),
    WEBPUSH_ALLOWED_HOSTS: hostListText.default([...DEFAULT_WEBPUSH_HOSTS]),
    WEBPUSH_ALLOW_PRIVATE: booleanText.default(false),
    WEBPUSH_CONNECTIONS_PER_HOST: z.coerce.number().int().min(1).max(1_000).default(32),
    WEBPUSH_TIMEOUT: durationText('WEBPUSH_TIMEOUT').default(parseDuration('30s')!),
    // Tests only (src/crash-points.ts): the process kills itself at this point.
    CRASH_POINT: z.string().min(1).optional(),
    SEND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    SEND_RETRY_BASE: durationText('SEND_RETRY_BASE').default(parseDuration('250ms')!),
    SEND_RETRY_MAX: durationText('SEND_RETRY_MAX').default(parseDuration('10s')!),
};

type EnvValues = z.output<z.ZodObject<typeof envFields>>;

/** Rules across variables. `service`: the service's own (the admin CLI may find the embedded database without MONGODB_URI). */
function checkCombinations(env: EnvValues, ctx: z.RefinementCtx, service: boolean): void {
    const apns = ['APNS_KEY_FILE', 'APNS_KEY_ID', 'APNS_TEAM_ID', 'APNS_TOPIC'] as const;
    const missing = apns.filter((name) => !env[name]);
    if (missing.length > 0 && missing.length < apns.length) {
      ctx.addIssue({
        code: 'custom',
        path: [missing[0]!],
        message: `APNs needs all of ${apns.join(', ')}; missing ${missing.join(', ')}`,
      });
    }
    if (!env.ONESIGNAL_APP_ID !== !env.ONESIGNAL_API_KEY) {
      ctx.addIssue({ code: 'custom', path: [env.ONESIGNAL_APP_ID ? 'ONESIGNAL_API_KEY' : 'ONESIGNAL_APP_ID'], message: 'OneSignal needs both ONESIGNAL_APP_ID and ONESIGNAL_API_KEY' });
    }
    const vapid = ['WEBPUSH_VAPID_PUBLIC_KEY', 'WEBPUSH_VAPID_PRIVATE_KEY', 'WEBPUSH_SUBJECT'] as const;
    const vapidMissing = vapid.filter((name) => !env[name]);
    if (vapidMissing.length > 0 && vapidMissing.length < vapid.length) {
      ctx.addIssue({ code: 'custom', path: [vapidMissing[0]!], message: `Web Push needs all of ${vapid.join(', ')}; missing ${vapidMissing.join(', ')}` });
    } else if (vapidMissing.length === 0) {
      const names = { publicKey: 'WEBPUSH_VAPID_PUBLIC_KEY', privateKey: 'WEBPUSH_VAPID_PRIVATE_KEY', subject: 'WEBPUSH_SUBJECT' } as const;
      for (const problem of vapidProblems(vapidOf(env)!)) ctx.addIssue({ code: 'custom', path: [names[problem.field]], message: `${names[problem.field]} ${problem.message}` });
    }
    if (durationToMs(env.HEADERS_TIMEOUT) > durationToMs(env.REQUEST_TIMEOUT)) {
      ctx.addIssue({ code: 'custom', path: ['HEADERS_TIMEOUT'], message: 'HEADERS_TIMEOUT must not be longer than REQUEST_TIMEOUT' });
    }
    if (service && env.NODE_ENV === 'production' && !env.MONGODB_URI) {
      ctx.addIssue({
        code: 'custom',
        path: ['MONGODB_URI'],
        message: 'MONGODB_URI is required when NODE_ENV=production (the embedded database is for development only)',
      });
    }
}

const envSchema = z.object({ ...envFields, API_KEYS: apiKeysField }).superRefine((env, ctx) => checkCombinations(env, ctx, true));

/** The HTTP server's connection limits (src/http/http-server.ts applies them). */
export type HttpServerLimits = {
  /** The whole request, headers and body, must arrive within this (REQUEST_TIMEOUT); else 408. */
  requestTimeoutMs: number;
  /** The headers must arrive within this (HEADERS_TIMEOUT, at most REQUEST_TIMEOUT); else 408. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (KEEP_ALIVE_TIMEOUT). */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are closed as they arrive (MAX_CONNECTIONS). */
  maxConnections: number;
};

/** The Expo receipt checker (src/sender/expo-receipts.ts): first ask `delayMs` after the send, then every `intervalMs`. */
export type ExpoReceiptConfig = { delayMs: number; intervalMs: number };

export type WebhookConfig = { allowHttp: boolean; allowPrivate: boolean; disableAfterMs: number; concurrency: number; intervalMs: number; attemptTimeoutMs: number };

export type OutcomeConfig = { applyGraceMs: number; lastUsedIntervalMs: number };
export type BroadcastConfig = { chunkSize: number; leaseMs: number; intervalMs: number; concurrency: number; maxActive: number; rates: Record<ProviderKey, number> };
/** What one workspace may create (each a documented setting): past it, a create is a 409 naming the setting. */
export type WorkspaceLimits = { webhookEndpoints: number; credentials: number; apps: number; lists: number; listSubscribers: number; audiences: number; liveActivityChannels: number };
export type MessageConfig = { retentionMs: number; maxDelayMs: number; idempotencyTtlMs: number; schedulerIntervalMs: number; schedulerLeaseMs: number; maxPendingDelayed: number; publicUrl: URL | undefined };

export type RetryConfig = { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };

export type Config = {
  nodeEnv: 'development' | 'test' | 'production';
  host: string;
  port: number;
  logLevel: string;
  mongodbUri: string | undefined;
  mongodbTimeoutMs: number;
  /** MONGODB_STARTUP_WAIT: how long start-up retries an unreachable MONGODB_URI. */
  mongodbStartupWaitMs: number;
  embeddedDbDir: string;
  /** Where the embedded development database may find a mongod before it considers downloading one. */
  embeddedMongod: { systemBinary: string | undefined; searchPath: string | undefined };
  apiKeys: ApiKey[];
  defaultTokenTtl: Duration;
  /** MAX_TOKENS_PER_USER and MAX_BYTES_PER_USER: the active (and, separately, retired) tokens one user may keep. */
  userLimits: { maxTokens: number; maxBytes: number };
  shutdownTimeoutMs: number;
  http: HttpServerLimits;
  rateLimitPerMinute: number;
  /** TRACKING_PER_MINUTE: POST /t/… per client address a minute (0: no limit). */
  trackingPerMinute: number;
  userTokens: {
    /** A JWK set of private keys; the first signs. Unset outside production: a generated key kept under EMBEDDED_DB_DIR. */
    signingKeysFile: string | undefined;
    maxTtlSeconds: number;
    /** Public keys with which workspaces' backends sign user tokens themselves. */
    workspaceKeysFile: string | undefined;
  };
  corsOrigins: '*' | string[] | undefined;
  /** The operator's console at /console (CONSOLE_ENABLED). */
  consoleEnabled: boolean;
  /** Encrypts credential key material at rest; undefined when CREDENTIALS_KEYS is unset. */
  credentialsBox: SecretBox | undefined;
  trustProxy: boolean | number | string[];
  /** Failed authentications a minute per client address before it gets 429s; 0 turns the limit off. */
  authFailuresPerMinute: number;
  /** Undefined when APNs is not configured: apn tokens are then answered `rejected: no adapter`. */
  apns: ApnsConfig | undefined;
  fcm: FcmConfig | undefined;
  /** Instance-wide OneSignal app; undefined when not configured (onesignal tokens: no adapter). */
  onesignal: OneSignalConfig | undefined;
  /** Instance-wide VAPID keys; undefined when WEBPUSH_VAPID_* are unset (webpush tokens then need an app's credential). */
  webpushVapid: VapidKeys | undefined;
  /** Instance-wide Expo (on unless EXPO_ENABLED=false: Expo needs no credential unless the project enables enhanced security). */
  expo: ExpoConfig | undefined;
  expoReceipts: ExpoReceiptConfig;
  retry: RetryConfig;
  delivery: DeliveryConfig;
  /** Webhook deliveries: SSRF settings, when a failing endpoint is disabled, requests in flight per endpoint, the dispatcher's interval. */
  webhooks: WebhookConfig;
  /** CRASH_POINT, tests only: where the process kills itself (src/crash-points.ts). */
  crashPoint: string | undefined;
  /** The message log: retention, the longest delay, Idempotency-Key lifetime, the scheduler's interval, PUBLIC_URL for tracking. */
  messages: MessageConfig;
  outcomes: OutcomeConfig;
  broadcast: BroadcastConfig;
  workspaceLimits: WorkspaceLimits;
  /** Holds a send's invalidations when more than maxShare of at least minTokens die for one reason. */
  invalidationGuard: { minTokens: number; maxShare: number };
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** An empty variable counts as unset, as in most .env tooling. */
function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.') || 'environment';
        return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
      }),
    );
  }
  return result.data;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(envSchema, env);
  return { ...settingsFrom(e), apiKeys: e.API_KEYS };
}

/** Everything but the API keys, from parsed variables: the service's config and the admin CLI's are one. */
function settingsFrom(e: EnvValues): Omit<Config, 'apiKeys'> {
  return {
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    mongodbUri: e.MONGODB_URI,
    mongodbTimeoutMs: durationToMs(e.MONGODB_TIMEOUT),
    mongodbStartupWaitMs: durationToMs(e.MONGODB_STARTUP_WAIT),
    embeddedDbDir: e.EMBEDDED_DB_DIR,
    embeddedMongod: { systemBinary: e.MONGOMS_SYSTEM_BINARY, searchPath: e.PATH },
    defaultTokenTtl: e.DEFAULT_TOKEN_TTL,
    userLimits: { maxTokens: e.MAX_TOKENS_PER_USER, maxBytes: e.MAX_BYTES_PER_USER },
    shutdownTimeoutMs: durationToMs(e.SHUTDOWN_TIMEOUT),
    http: {
      requestTimeoutMs: durationToMs(e.REQUEST_TIMEOUT),
      headersTimeoutMs: durationToMs(e.HEADERS_TIMEOUT),
      keepAliveTimeoutMs: durationToMs(e.KEEP_ALIVE_TIMEOUT),
      maxConnections: e.MAX_CONNECTIONS,
    },
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    trackingPerMinute: e.TRACKING_PER_MINUTE,
    userTokens: {
      signingKeysFile: e.USER_TOKEN_SIGNING_KEYS_FILE,
      maxTtlSeconds: Math.floor(durationToMs(e.USER_TOKEN_MAX_TTL) / 1000),
      workspaceKeysFile: e.WORKSPACE_JWT_KEYS_FILE,
    },
    corsOrigins: e.CORS_ORIGINS,
    consoleEnabled: e.CONSOLE_ENABLED,
    credentialsBox: e.CREDENTIALS_KEYS,
    trustProxy: e.TRUST_PROXY,
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    apns:
      e.APNS_KEY_FILE && e.APNS_KEY_ID && e.APNS_TEAM_ID && e.APNS_TOPIC
        ? {
            keyFile: e.APNS_KEY_FILE,
            keyId: e.APNS_KEY_ID,
            teamId: e.APNS_TEAM_ID,
            topic: e.APNS_TOPIC,
            production: e.APNS_PRODUCTION,
            endpoint: e.APNS_PRODUCTION ? e.APNS_ENDPOINT : (e.APNS_SANDBOX_ENDPOINT ?? e.APNS_ENDPOINT),
            maxInFlight: e.APNS_MAX_IN_FLIGHT,
          }
        : undefined,
    fcm: e.FCM_SERVICE_ACCOUNT_FILE
      ? {
          serviceAccountFile: e.FCM_SERVICE_ACCOUNT_FILE,
          endpoint: e.FCM_ENDPOINT,
          concurrentBatches: e.FCM_CONCURRENT_BATCHES,
          batchTimeoutMs: durationToMs(e.FCM_BATCH_TIMEOUT),
        }
      : undefined,
    onesignal:
      e.ONESIGNAL_APP_ID && e.ONESIGNAL_API_KEY
        ? { appId: e.ONESIGNAL_APP_ID, apiKey: e.ONESIGNAL_API_KEY, ...(e.ONESIGNAL_ENDPOINT ? { endpoint: e.ONESIGNAL_ENDPOINT } : {}) }
        : undefined,
    expo: expoConfig(e),
    webpushVapid: vapidOf(e),
    expoReceipts: expoReceiptConfig(e),
    retry: {
      maxAttempts: e.SEND_MAX_ATTEMPTS,
      baseDelayMs: durationToMs(e.SEND_RETRY_BASE),
      maxDelayMs: durationToMs(e.SEND_RETRY_MAX),
    },
    invalidationGuard: { minTokens: e.INVALIDATION_GUARD_MIN_TOKENS, maxShare: e.INVALIDATION_GUARD_MAX_SHARE },
    crashPoint: e.CRASH_POINT,
    webhooks: {
      allowHttp: e.WEBHOOK_ALLOW_HTTP,
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      disableAfterMs: durationToMs(e.WEBHOOK_DISABLE_AFTER),
      concurrency: e.WEBHOOK_CONCURRENCY,
      intervalMs: durationToMs(e.WEBHOOK_INTERVAL),
      attemptTimeoutMs: durationToMs(e.WEBHOOK_TIMEOUT),
    },
    outcomes: { applyGraceMs: durationToMs(e.SEND_APPLY_GRACE), lastUsedIntervalMs: durationToMs(e.LAST_USED_INTERVAL) },
    workspaceLimits: { webhookEndpoints: e.MAX_WEBHOOK_ENDPOINTS, credentials: e.MAX_CREDENTIALS, apps: e.MAX_APPS, lists: e.MAX_LISTS, listSubscribers: e.MAX_LIST_SUBSCRIBERS, audiences: e.MAX_AUDIENCES, liveActivityChannels: e.MAX_LIVE_ACTIVITY_CHANNELS },
    broadcast: {
      chunkSize: e.BROADCAST_CHUNK_SIZE,
      leaseMs: durationToMs(e.BROADCAST_LEASE),
      intervalMs: durationToMs(e.BROADCAST_INTERVAL),
      concurrency: e.BROADCAST_CONCURRENCY,
      maxActive: e.MAX_ACTIVE_BROADCASTS,
      rates: { expo: e.BROADCAST_RATE_EXPO, 'firebase-fcm': e.BROADCAST_RATE_FCM, apn: e.BROADCAST_RATE_APNS, onesignal: e.BROADCAST_RATE_ONESIGNAL, webpush: e.BROADCAST_RATE_WEBPUSH },
    },
    messages: {
      retentionMs: durationToMs(e.MESSAGE_RETENTION),
      maxDelayMs: durationToMs(e.MAX_DELAY),
      idempotencyTtlMs: durationToMs(e.IDEMPOTENCY_TTL),
      schedulerIntervalMs: durationToMs(e.SCHEDULER_INTERVAL),
      schedulerLeaseMs: durationToMs(e.SCHEDULER_LEASE),
      maxPendingDelayed: e.MAX_PENDING_DELAYED,
      publicUrl: e.PUBLIC_URL,
    },
    delivery: {
      endpoints: { apns: e.APNS_ENDPOINT, apnsSandbox: e.APNS_SANDBOX_ENDPOINT ?? e.APNS_ENDPOINT, apnsChannels: e.APNS_CHANNELS_ENDPOINT, apnsChannelsSandbox: e.APNS_CHANNELS_SANDBOX_ENDPOINT ?? e.APNS_CHANNELS_ENDPOINT, fcm: e.FCM_ENDPOINT, expo: e.EXPO_BASE_URL, onesignal: e.ONESIGNAL_ENDPOINT },
      apnsMaxInFlight: e.APNS_MAX_IN_FLIGHT,
      fcmConcurrentBatches: e.FCM_CONCURRENT_BATCHES,
      fcmBatchTimeoutMs: durationToMs(e.FCM_BATCH_TIMEOUT),
      webpush: {
        endpoints: { allowedHosts: e.WEBPUSH_ALLOWED_HOSTS, allowPrivate: e.WEBPUSH_ALLOW_PRIVATE },
        connectionsPerHost: e.WEBPUSH_CONNECTIONS_PER_HOST,
        timeoutMs: durationToMs(e.WEBPUSH_TIMEOUT),
      },
      clientIdleMs: durationToMs(e.PROVIDER_CLIENT_IDLE),
      maxClients: e.PROVIDER_CLIENT_MAX,
    },
  };
}

/**
 * What the admin CLI reads: the service's own settings (so `receipts check` and the credential
 * commands behave as the service does), with API_KEYS only as text (for `keys list`), a longer
 * MONGODB_TIMEOUT, and no need for MONGODB_URI (it finds the running embedded database).
 */
export type AdminConfig = Omit<Config, 'apiKeys'> & { apiKeysText: string | undefined };

const adminSchema = z
  .object({ ...envFields, API_KEYS: z.string().optional(), MONGODB_TIMEOUT: durationText('MONGODB_TIMEOUT').default(parseDuration('5s')!) })
  .superRefine((env, ctx) => checkCombinations(env, ctx, false));

export function loadAdminConfig(env: NodeJS.ProcessEnv = process.env): AdminConfig {
  const e = parseEnv(adminSchema, env);
  return { ...settingsFrom(e), apiKeysText: e.API_KEYS };
}

/** The instance-wide VAPID keys, when all three variables are set. */
function vapidOf(e: { WEBPUSH_VAPID_PUBLIC_KEY?: string | undefined; WEBPUSH_VAPID_PRIVATE_KEY?: string | undefined; WEBPUSH_SUBJECT?: string | undefined }): VapidKeys | undefined {
  const { WEBPUSH_VAPID_PUBLIC_KEY: publicKey, WEBPUSH_VAPID_PRIVATE_KEY: privateKey, WEBPUSH_SUBJECT: subject } = e;
  return publicKey && privateKey && subject ? { publicKey, privateKey, subject } : undefined;
}

/** Instance-wide Expo, as the service and the admin CLI's `receipts check` both read it. */
function expoConfig(e: { EXPO_ENABLED: boolean; EXPO_ACCESS_TOKEN?: string | undefined; EXPO_BASE_URL?: URL | undefined }): Config['expo'] {
  return e.EXPO_ENABLED ? { ...(e.EXPO_ACCESS_TOKEN ? { accessToken: e.EXPO_ACCESS_TOKEN } : {}), ...(e.EXPO_BASE_URL ? { baseUrl: e.EXPO_BASE_URL } : {}) } : undefined;
}

function expoReceiptConfig(e: { EXPO_RECEIPT_DELAY: Duration; EXPO_RECEIPT_INTERVAL: Duration }): ExpoReceiptConfig {
  return { delayMs: durationToMs(e.EXPO_RECEIPT_DELAY), intervalMs: durationToMs(e.EXPO_RECEIPT_INTERVAL) };
}
