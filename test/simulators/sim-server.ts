import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';

/**
 * What both simulators share: a TLS HTTP/2 server with the test CA's certificate, per-token
 * staging of answers, and counters that tests assert on (attempts per token, streams in flight).
 */
const CERT_DIR = path.join(__dirname, 'certs');
export const SIMULATOR_CA_FILE = path.join(CERT_DIR, 'ca.pem');

/** Staged answers for a token are used in order; the last one repeats. */
export class AnswerBook<A> {
  private readonly staged = new Map<string, A[]>();
  constructor(private readonly fallback: A) {}

  set(token: string, answers: A | A[]): void {
    this.staged.set(token, Array.isArray(answers) ? [...answers] : [answers]);
  }

  next(token: string): A {
    const queue = this.staged.get(token);
    if (!queue || queue.length === 0) return this.fallback;
    return queue.length > 1 ? queue.shift()! : queue[0]!;
  }

  clear(): void {
    this.staged.clear();
  }
}

export class Counters {
  inFlight = 0;
  maxInFlight = 0;
  sessions = 0;
  openSessions = 0;
  /** TLS connections accepted (HTTP/1.1 clients' kept-alive sockets and HTTP/2 sessions alike). */
  connections = 0;
  requests = 0;
  readonly attemptsByToken = new Map<string, number>();

  begin(token: string | undefined): () => void {
    this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (token) this.attemptsByToken.set(token, (this.attemptsByToken.get(token) ?? 0) + 1);
    let done = false;
    return () => {
      if (!done) this.inFlight--;
      done = true;
    };
  }

  attempts(token: string): number {
    return this.attemptsByToken.get(token) ?? 0;
  }

  reset(): void {
    this.maxInFlight = this.inFlight;
    this.sessions = 0;
    this.connections = 0;
    this.requests = 0;
    this.attemptsByToken.clear();
  }
}

export type SimServer = { server: http2.Http2SecureServer; port: number; url: string; close: () => Promise<void> };

export async function listenTls(
  handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  options: { port?: number; maxConcurrentStreams: number; allowHTTP1: boolean; counters: Counters },
): Promise<SimServer> {
  const server = http2.createSecureServer({
    key: readFileSync(path.join(CERT_DIR, 'server-key.pem')),
    cert: readFileSync(path.join(CERT_DIR, 'server.pem')),
    allowHTTP1: options.allowHTTP1,
    settings: { maxConcurrentStreams: options.maxConcurrentStreams },
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    options.counters.sessions++;
    options.counters.openSessions++;
    sessions.add(session);
    session.on('close', () => {
      options.counters.openSessions--;
      sessions.delete(session);
    });
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('secureConnection', (socket) => {
    options.counters.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', handler);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    server,
    port,
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A simulator's server: TLS, HTTP/2 with HTTP/1.1 allowed (for the control endpoints, and for
 * providers that speak HTTP/1.1), and a handler whose errors are swallowed (a request whose
 * connection was dropped mid-read ends in an error nobody needs to hear about).
 */
export function listenSimulator(
  handle: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => Promise<void>,
  options: { port?: number | undefined; maxConcurrentStreams?: number | undefined; counters: Counters },
): Promise<SimServer> {
  return listenTls((req, res) => void handle(req, res).catch(() => undefined), {
    port: options.port,
    maxConcurrentStreams: options.maxConcurrentStreams ?? 100,
    allowHTTP1: true,
    counters: options.counters,
  });
}

export async function readBytes(req: http2.Http2ServerRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readBody(req: http2.Http2ServerRequest): Promise<string> {
  return (await readBytes(req)).toString('utf8');
}

/**
 * Drops the connection under a request, as a failing provider edge or middlebox would: a TCP
 * reset, so the client sees ECONNRESET on the session and on every stream in flight on it.
 */
export function dropConnection(req: http2.Http2ServerRequest): void {
  const socket = (req.stream?.session?.socket ?? req.socket) as unknown as { resetAndDestroy?: () => void; destroy: () => void };
  try {
    if (socket.resetAndDestroy) socket.resetAndDestroy();
    else socket.destroy();
  } catch {
    // A TLS socket over HTTP/1.1 (allowHTTP1) has no TCP handle to reset: close it instead.
    req.stream?.session?.destroy();
    socket.destroy();
  }
}

export function decodeJwt(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signed: string; signature: Buffer } | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return {
      header: JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>,
      payload: JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>,
      signed: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2]!, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

/**
 * Control endpoints, for a person with curl and for benchmarks that run the simulators in
 * another process: POST /__stage {"token", "answer": {...} | [...]} stages answers (or
 * {"tokens": [...], "answer"} for many); GET /__stats answers the counters; POST /__reset clears both.
 */
export async function handleStaging<A>(
  req: http2.Http2ServerRequest,
  res: http2.Http2ServerResponse,
  book: AnswerBook<A>,
  counters?: Counters,
): Promise<boolean> {
  if (req.url === '/__stats' && req.method === 'GET' && counters) {
    const { inFlight, maxInFlight, sessions, openSessions, requests } = counters;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ inFlight, maxInFlight, sessions, openSessions, requests }));
    return true;
  }
  if (req.url === '/__reset' && req.method === 'POST') {
    book.clear();
    counters?.reset();
    res.writeHead(204).end();
    return true;
  }
  if (req.url !== '/__stage' || req.method !== 'POST') return false;
  try {
    const { token, tokens, answer } = JSON.parse(await readBody(req)) as { token?: string; tokens?: string[]; answer: A | A[] };
    for (const t of tokens ?? [token!]) book.set(t, answer);
    res.writeHead(204).end();
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"body must be {\\"token\\", \\"answer\\"}"}');
  }
  return true;
}
