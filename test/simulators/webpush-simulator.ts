import { createECDH, createPublicKey, randomBytes, randomUUID, verify, type ECDH } from 'node:crypto';
import type http2 from 'node:http2';
import ece from 'http_ece';
import { AnswerBook, Counters, decodeJwt, listenSimulator, readBody, readBytes, type SimServer } from './sim-server';

/**
 * A Web Push service (RFC 8030) over TLS, as browsers' push services behave to an application
 * server: POST /push/<id> with
 * - `Authorization: vapid t=<JWT>, k=<public key>` (RFC 8292): an ES256 JWT signed by k, whose
 *   `aud` is this service's origin, whose `exp` is in the future and at most 24 h ahead, and
 *   whose `sub` is set; k must be the applicationServerKey the subscription was made with
 *   (401 for a bad token, 403 for another key, as FCM and Mozilla answer);
 * - `TTL` (required), `Urgency` and `Topic` (at most 32 base64url characters);
 * - an aes128gcm body (RFC 8291), which it decrypts with the subscription's private key, so
 *   tests assert the exact plaintext; more than 4096 bytes is a 413.
 * Subscriptions are made here (subscribe(), or POST /__subscribe for a person with curl), with
 * real P-256 keys. Answers can be staged per endpoint: any status, with Retry-After.
 */
export type WebPushStaged = { status: number; retryAfter?: string };
export type WebPushReceived = {
  endpoint: string;
  plaintext: string;
  json: unknown;
  ttl: number;
  urgency: string | undefined;
  topic: string | undefined;
  /** The JWT's claims, as verified. */
  claims: { aud: string; exp: number; sub: string };
  bytes: number;
};
type Subscription = { ecdh: ECDH; auth: string; applicationServerKey: string; unsubscribed: boolean };

export class WebPushSimulator {
  readonly counters = new Counters();
  readonly received: WebPushReceived[] = [];
  /** Requests refused before delivery, with why (for tests that assert a refusal). */
  readonly refused: { endpoint: string; status: number; why: string }[] = [];
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly book = new AnswerBook<WebPushStaged>({ status: 201 });
  private server!: SimServer;

  private constructor(private readonly host: string) {}

  static async start(options: { port?: number; host?: '127.0.0.1' | 'localhost' } = {}): Promise<WebPushSimulator> {
    const simulator = new WebPushSimulator(options.host ?? '127.0.0.1');
    simulator.server = await listenSimulator((req, res) => simulator.handle(req, res), { port: options.port, counters: simulator.counters });
    return simulator;
  }

  /** This service's origin, which VAPID JWTs must name as their audience. */
  get origin(): string {
    return `https://${this.host}:${this.server.port}`;
  }

  get url(): string {
    return this.origin;
  }

  /** A browser's PushSubscription for a page that subscribed with `applicationServerKey`. */
  subscribe(applicationServerKey: string): { endpoint: string; keys: { p256dh: string; auth: string } } {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const id = randomUUID();
    const auth = randomBytes(16).toString('base64url');
    this.subscriptions.set(id, { ecdh, auth, applicationServerKey, unsubscribed: false });
    return { endpoint: `${this.origin}/push/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth } };
  }

  /** The user revoked permission: the push service answers 410 Gone from now on. */
  unsubscribe(endpoint: string): void {
    const subscription = this.subscriptions.get(idOf(endpoint));
    if (subscription) subscription.unsubscribed = true;
  }

  /** Answers for one endpoint, in order (the last repeats). */
  stage(endpoint: string, answers: WebPushStaged | WebPushStaged[]): void {
    this.book.set(endpoint, answers);
  }

  receivedBy(endpoint: string): WebPushReceived[] {
    return this.received.filter((r) => r.endpoint === endpoint);
  }

  reset(): void {
    this.book.clear();
    this.received.length = 0;
    this.refused.length = 0;
    this.counters.reset();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): Promise<void> {
    const path = req.url.split('?')[0]!;
    if (path === '/__subscribe' && req.method === 'POST') {
      const { application_server_key, count } = JSON.parse((await readBody(req)) || '{}') as { application_server_key?: string; count?: number };
      if (!application_server_key) return void res.writeHead(400).end('{"error":"application_server_key is required"}');
      // With `count`, that many subscriptions at once (benchmarks).
      const made = count === undefined ? this.subscribe(application_server_key) : Array.from({ length: count }, () => this.subscribe(application_server_key));
      return void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(made));
    }
    if (path === '/__stage' && req.method === 'POST') {
      const { endpoint, endpoints, answer } = JSON.parse(await readBody(req)) as { endpoint?: string; endpoints?: string[]; answer: WebPushStaged | WebPushStaged[] };
      for (const e of endpoints ?? [endpoint!]) this.stage(e, answer);
      return void res.writeHead(204).end();
    }
    if (path === '/__reset' && req.method === 'POST') {
      // Staged answers and counters; the subscriptions stay.
      this.reset();
      return void res.writeHead(204).end();
    }
    if (path === '/__stats' && req.method === 'GET') {
      const { inFlight, maxInFlight, requests } = this.counters;
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ inFlight, maxInFlight, requests, delivered: this.received.length }));
    }
    if (path === '/__last' && req.method === 'GET') {
      const endpoint = new URL(req.url, this.origin).searchParams.get('endpoint') ?? '';
      const last = this.receivedBy(endpoint).at(-1);
      return void res.writeHead(last ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(last ?? { error: 'nothing received' }));
    }
    const match = /^\/push\/([0-9a-f-]{36})$/.exec(path);
    if (req.method !== 'POST' || !match) return void res.writeHead(404).end();
    const endpoint = `${this.origin}${path}`;
    const done = this.counters.begin(endpoint);
    const body = await readBytes(req);
    const refuse = (status: number, why: string) => {
      this.refused.push({ endpoint, status, why });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ reason: why }));
      done();
    };
    const subscription = this.subscriptions.get(match[1]!);
    if (!subscription) return refuse(404, 'no such subscription');
    const claims = this.verifyVapid(String(req.headers.authorization ?? ''), subscription);
    if ('status' in claims) return refuse(claims.status, claims.why);
    const ttl = req.headers.ttl;
    if (ttl === undefined || !/^\d+$/.test(String(ttl))) return refuse(400, 'TTL header is required');
    const topic = req.headers.topic as string | undefined;
    if (topic !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(topic)) return refuse(400, 'Topic must be at most 32 base64url characters');
    if (req.headers['content-encoding'] !== 'aes128gcm') return refuse(400, 'Content-Encoding must be aes128gcm');
    if (body.length > 4096) return refuse(413, `payload of ${body.length} bytes is larger than 4096`);
    const staged = this.book.next(endpoint);
    if (subscription.unsubscribed) return refuse(410, 'push subscription has unsubscribed or expired');
    if (staged.status < 200 || staged.status >= 300) {
      this.refused.push({ endpoint, status: staged.status, why: 'staged' });
      res.writeHead(staged.status, staged.retryAfter ? { 'retry-after': staged.retryAfter } : {}).end();
      return done();
    }
    let plaintext: string;
    try {
      plaintext = ece.decrypt(body, { version: 'aes128gcm', privateKey: subscription.ecdh, authSecret: subscription.auth }).toString('utf8');
    } catch {
      return refuse(400, 'the body does not decrypt with the subscription keys');
    }
    let json: unknown;
    try {
      json = JSON.parse(plaintext);
    } catch {
      json = undefined;
    }
    this.received.push({ endpoint, plaintext, json, ttl: Number(ttl), urgency: req.headers.urgency as string | undefined, topic, claims, bytes: body.length });
    res.writeHead(staged.status, { location: `${this.origin}/message/${randomUUID()}` }).end();
    done();
  }

  private verifyVapid(header: string, subscription: Subscription): { aud: string; exp: number; sub: string } | { status: number; why: string } {
    const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header);
    if (!match) return { status: 401, why: 'Authorization must be vapid t=…, k=…' };
    const [, jwt, k] = match;
    const decoded = decodeJwt(jwt!);
    if (!decoded || decoded.header.alg !== 'ES256') return { status: 401, why: 'the VAPID token is not an ES256 JWT' };
    const point = Buffer.from(k!, 'base64url');
    if (point.length !== 65 || point[0] !== 4) return { status: 401, why: 'k is not a P-256 public key' };
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' });
    if (!verify('sha256', Buffer.from(decoded.signed), { key, dsaEncoding: 'ieee-p1363' }, decoded.signature)) return { status: 401, why: 'the VAPID signature does not verify with k' };
    const { aud, exp, sub } = decoded.payload as { aud?: unknown; exp?: unknown; sub?: unknown };
    const now = Math.floor(Date.now() / 1000);
    if (aud !== this.origin) return { status: 401, why: `aud must be ${this.origin}` };
    if (typeof exp !== 'number' || exp <= now || exp > now + 24 * 3600) return { status: 401, why: 'exp must be in the future and at most 24 h ahead' };
    if (typeof sub !== 'string' || sub === '') return { status: 401, why: 'sub must be set' };
    if (k !== subscription.applicationServerKey) return { status: 403, why: 'k is not the key this subscription was made with' };
    return { aud, exp, sub };
  }
}

function idOf(endpoint: string): string {
  return endpoint.split('/').at(-1) ?? '';
}
