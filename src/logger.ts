import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Tokens and API keys must never reach them: request lines carry the
 * route template and a masked path (http/request-context.ts), never headers or bodies, and these
 * redaction paths are a second line of defence for anything logged by mistake.
 */
const REDACT_PATHS = [
  'token',
  '*.token',
  'tokens',
  '*.tokens',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'key',
  '*.key',
  'apiKey',
  '*.apiKey',
  // Web Push: a subscription's keys and endpoint, and VAPID private keys.
  'keys',
  '*.keys',
  'endpoint',
  '*.endpoint',
  'vapid_private_key',
  '*.vapid_private_key',
];

/**
 * Logs go to stdout through an asynchronous destination, so a slow log reader never blocks a
 * request. Call flushLogger before exiting.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'push-token-registry' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * The logger for request lines (http/request-context.ts): the same destination and level, but
 * without the redaction paths. Every field of a request line is built by us from values that
 * are safe to log (the route template, the path with tokens masked by loggablePath, status,
 * timing, ids), so the second line of defence has nothing to catch there, and it costs about
 * 8 µs of the ~10 µs a line takes (measured with pino 10 on Node 24): 2.5 % of a PUT's CPU.
 * Anything else logged goes through the redacting logger.
 */
export function requestLineLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}

/** Writes out what the asynchronous destination still holds (at shutdown). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/** Shows at most the last 4 characters of a secret or a token. */
export function maskSecret(secret: string): string {
  return secret.length <= 8 ? '****' : `****${secret.slice(-4)}`;
}

/**
 * An error as it may be logged. Driver messages quote the values they choke on (an E11000
 * names the duplicate token), so quoted values and `dup key` clauses are masked.
 */
export function errorForLog(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error).slice(0, 200) };
  const scrub = (text: string) =>
    text.replace(/dup key: \{.*?\}/g, 'dup key: {…}').replace(/(["'])([^"'\n]{9,}?)\1/g, (_m, q, v: string) => `${q}${maskSecret(v)}${q}`);
  return {
    name: error.name,
    code: (error as { code?: unknown }).code,
    message: scrub(error.message),
    stack: error.stack ? scrub(error.stack.split('\n').slice(1, 8).join('\n')) : undefined,
  };
}
