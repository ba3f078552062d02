import { randomUUID } from 'node:crypto';
import type http2 from 'node:http2';
import { Counters, dropConnection, listenSimulator, readBody, type SimServer } from './sim-server';

/**
 * A OneSignal REST API simulator over TLS: POST /notifications with `Authorization: Key …`,
 * OneSignal's validation (app_id, contents or content_available, exactly one targeting mode,
 * UUID subscription ids), per-subscription state (subscribed, unsubscribed, nonexistent),
 * staged request-level answers (429 with Retry-After, 5xx with an HTML body, any status and body,
 * a connection reset), and idempotent
 * replay by `idempotency_key` (header Idempotent-Replayed: true).
 */
export type SubscriptionState = 'subscribed' | 'unsubscribed' | 'nonexistent';
export type OneSignalSimOptions = { appId: string; apiKey: string; port?: number };
export type OneSignalRequestRecord = { ids: string[]; body: Record<string, unknown>; replayed: boolean };
type Staged = { status: number; retryAfterSeconds?: number; html?: boolean; body?: unknown } | { reset: true };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TARGETING = ['include_subscription_ids', 'include_player_ids', 'include_aliases', 'included_segments', 'filters'];

export class OneSignalSimulator {
  readonly counters = new Counters();
  readonly received: OneSignalRequestRecord[] = [];
  /** Notifications created (replays are not new notifications). */
  created = 0;
  private readonly states = new Map<string, SubscriptionState>();
  private readonly staged: Staged[] = [];
  private readonly replies = new Map<string, { status: number; body: unknown }>();
  private server!: SimServer;

  private constructor(private readonly options: OneSignalSimOptions) {}

  static async start(options: OneSignalSimOptions): Promise<OneSignalSimulator> {
    const simulator = new OneSignalSimulator(options);
    simulator.server = await listenSimulator((req, res) => simulator.handle(req, res), { port: options.port, counters: simulator.counters });
    return simulator;
  }

  get url(): string {
    return this.server.url;
  }

  setState(id: string, state: SubscriptionState): void {
    this.states.set(id, state);
  }

  /** The next requests answer these, in order, whatever they carry. */
  stageRequests(...answers: Staged[]): void {
    this.staged.push(...answers);
  }

  reset(): void {
    this.states.clear();
    this.staged.length = 0;
    this.received.length = 0;
    this.replies.clear();
    this.created = 0;
    this.counters.reset();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    const path = req.url.split('?')[0];
    // Control, for a person with curl and for the benchmarks (the other simulators have the same): states, reset, figures.
    if (req.method === 'POST' && path === '/__state') {
      const { ids, state } = JSON.parse(await readBody(req)) as { ids: string[]; state: SubscriptionState };
      for (const id of ids) this.setState(id, state);
      return reply(200, { staged: ids.length });
    }
    if (req.method === 'POST' && path === '/__reset') {
      this.reset();
      return reply(200, {});
    }
    if (req.method === 'GET' && path === '/__stats') return reply(200, { requests: this.received.length, recipients: this.received.reduce((n, r) => n + r.ids.length, 0), created: this.created });
    if (req.method !== 'POST' || path !== '/notifications') return reply(404, { errors: ['Not Found'] });
    const text = await readBody(req);
    if (req.headers.authorization !== `Key ${this.options.apiKey}`) {
      return reply(403, { errors: ["Access denied.  Please include an 'Authorization: ...' header with a valid API key (https://documentation.onesignal.com/docs/accounts-and-keys#api-keys)."] });
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return reply(400, { errors: ['Invalid JSON'] });
    }
    const key = typeof body.idempotency_key === 'string' ? body.idempotency_key : undefined;
    const ids = Array.isArray(body.include_subscription_ids) ? (body.include_subscription_ids as string[]) : [];
    const replay = key ? this.replies.get(key) : undefined;
    this.received.push({ ids, body, replayed: replay !== undefined });
    if (replay) return reply(replay.status, replay.body, { 'idempotent-replayed': 'true' });

    const staged = this.staged.shift();
    if (staged && 'reset' in staged) return dropConnection(req);
    if (staged) {
      if (staged.body !== undefined) return reply(staged.status, staged.body);
      if (staged.html) {
        res.writeHead(staged.status, { 'content-type': 'text/html' });
        return void res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      }
      return reply(staged.status, { errors: [staged.status === 429 ? 'API rate limit exceeded.' : 'Internal Server Error'] }, staged.retryAfterSeconds !== undefined ? { 'retry-after': String(staged.retryAfterSeconds) } : {});
    }
    const problems: string[] = [];
    if (typeof body.app_id !== 'string' || !UUID.test(body.app_id)) problems.push('app_id not found. You may be missing a Content-Type: application/json header.');
    if (!(body.contents && typeof (body.contents as Record<string, unknown>).en === 'string') && body.content_available !== true) problems.push('Message Notifications must have English language content');
    if (TARGETING.filter((field) => field in body).length !== 1) problems.push('You must include exactly one targeting mode');
    const malformed = ids.filter((id) => !UUID.test(id));
    if (malformed.length > 0) problems.push(`Incorrect subscription_id format in include_subscription_ids (not a valid UUID): ${malformed.join(', ')}`);
    if (problems.length > 0) return reply(400, { errors: problems });

    // A wrong app id: none of the ids belong to it, so every one looks invalid.
    const wrongApp = body.app_id !== this.options.appId;
    const invalid = wrongApp ? ids : ids.filter((id) => this.states.get(id) === 'unsubscribed');
    const reachable = wrongApp ? [] : ids.filter((id) => (this.states.get(id) ?? 'subscribed') === 'subscribed');
    let answer: { status: number; body: unknown };
    if (reachable.length === 0 && !wrongApp) {
      answer = { status: 200, body: { id: '', errors: ['All included players are not subscribed'] } };
    } else {
      this.created++;
      answer = { status: 200, body: { id: randomUUID(), ...(invalid.length > 0 ? { errors: { invalid_player_ids: invalid } } : {}) } };
    }
    if (key) this.replies.set(key, answer);
    reply(answer.status, answer.body);
  }
}
