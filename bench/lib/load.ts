// autocannon has no bundled types; only its programmatic entry point is used here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

type AutocannonResult = {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats?: Record<string, { count: number }>;
};

export type LoadResult = { rps: number; p50: number; p99: number; non2xx: number; errors: number; total: number };

/**
 * Loopback load with autocannon. `path` makes each request's path (unique tokens per PUT);
 * `rate`, when given, holds the total request rate there (for latency at a fixed load).
 */
export async function load(options: {
  url: string;
  method: 'GET' | 'PUT';
  path: (i: number) => string;
  body?: string;
  headers: Record<string, string>;
  /** Per-request headers instead of `headers` (a different credential per client, say). */
  headersFor?: (i: number) => Record<string, string>;
  seconds: number;
  connections: number;
  rate?: number;
}): Promise<LoadResult> {
  let i = 0;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    ...(options.rate ? { overallRate: Math.max(1, Math.floor(options.rate)) } : {}),
    requests: [
      {
        method: options.method,
        headers: options.headers,
        ...(options.body ? { body: options.body } : {}),
        setupRequest: (request: { path: string; headers?: Record<string, string> }) => {
          const n = i++;
          return { ...request, path: options.path(n), ...(options.headersFor ? { headers: options.headersFor(n) } : {}) };
        },
      },
    ],
  });
  const seconds = options.seconds;
  return {
    rps: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
  };
}
