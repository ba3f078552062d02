import { randomUUID } from 'node:crypto';
import type http2 from 'node:http2';
import { gunzipSync } from 'node:zlib';
import { Counters, dropConnection, listenSimulator, type SimServer } from './sim-server';

/**
 * An Expo push service simulator over TLS (HTTP/1.1, as the SDK's undici speaks), reached
 * through the adapter's EXPO_BASE_URL:
 * - POST /--/api/v2/push/send: one message or an array, `to` a string or an array, gzip
 *   bodies; ≤ 100 recipients (PUSH_TOO_MANY_NOTIFICATIONS), one project per request
 *   (PUSH_TOO_MANY_EXPERIENCE_IDS with `details` naming each project's tokens), payloads
 *   ≤ 4096 bytes (a MessageTooBig ticket); one ticket per recipient, in order.
 * - POST /--/api/v2/push/getReceipts: `{ids}`, ≤ 1000 (PUSH_TOO_MANY_RECEIPTS); answers only
 *   the receipts that are ready (a staged delay after the send) and not yet expired (24 h),
 *   by an injectable clock.
 * - An optional bearer check (enhanced push security): none → 401 UNAUTHORIZED, a wrong one →
 *   401 `invalid_token`.
 * - Per-token staged ticket and receipt answers (also over HTTP, for `npm run simulators`:
 *   POST /__stage {"token" | "tokens", "ticket"?, "receipt"?, "project"?}; POST /__clock
 *   {"advance_ms"}; POST /__reset; GET /__stats); staged request-level answers: 429
 *   TOO_MANY_REQUESTS, a 5xx with an HTML body, a wrong ticket count, a connection reset.
 */
export type ExpoTicketAnswer = { status: 'ok' } | { status: 'error'; error: string; message?: string };
/** `never`: the receipt never appears (Expo lost it). */
export type ExpoReceiptAnswer = { status: 'ok' } | { status: 'error'; error: string; message?: string } | 'never';
export type ExpoStagedRequest = { status: 429 } | { status: 500 | 502 | 503; html: true } | { wrongTicketCount: true } | { reset: true };
export type ExpoSimOptions = { accessToken?: string; port?: number; receiptDelayMs?: number };
/** `at`: when the simulator took the request (epoch ms), for rate measurements from its own clock. */
export type ExpoSendRecord = { recipients: string[]; gzip: boolean; authorization?: string; messages: Record<string, unknown>[]; at: number };

export const EXPO_RECEIPT_RETENTION_MS = 24 * 3600_000;
const DEFAULT_PROJECT = '@sim/app';

type Receipt = { answer: ExpoReceiptAnswer; readyAt: number; expiresAt: number };

export class ExpoSimulator {
  readonly counters = new Counters();
  readonly sends: ExpoSendRecord[] = [];
  readonly receiptRequests: { ids: string[]; authorization?: string }[] = [];
  /** The simulator's clock (ms): real time, shifted when a test sets it to make receipts ready or expire. */
  get clock(): number {
    return Date.now() + this.offsetMs;
  }
  set clock(ms: number) {
    this.offsetMs = ms - Date.now();
  }
  private offsetMs = 0;
  private readonly tickets = new Map<string, ExpoTicketAnswer>();
  private readonly receiptAnswers = new Map<string, ExpoReceiptAnswer>();
  private readonly projects = new Map<string, string>();
  private readonly receipts = new Map<string, Receipt>();
  private readonly staged: ExpoStagedRequest[] = [];
  private server!: SimServer;

  private constructor(private readonly options: ExpoSimOptions) {}

  static async start(options: ExpoSimOptions = {}): Promise<ExpoSimulator> {
    const simulator = new ExpoSimulator(options);
    simulator.server = await listenSimulator((req, res) => simulator.handle(req, res), { port: options.port, counters: simulator.counters });
    return simulator;
  }

  get url(): string {
    return this.server.url;
  }

  stageTicket(token: string, answer: ExpoTicketAnswer): void {
    this.tickets.set(token, answer);
  }

  stageReceipt(token: string, answer: ExpoReceiptAnswer): void {
    this.receiptAnswers.set(token, answer);
  }

  /** The Expo project a token belongs to (`@owner/slug`); one request may carry only one. */
  setProject(token: string, project: string): void {
    this.projects.set(token, project);
  }

  stageRequests(...answers: ExpoStagedRequest[]): void {
    this.staged.push(...answers);
  }

  /** Receipt ids issued so far, by token (for tests that look behind the service). */
  receiptIdsOf(token: string): string[] {
    return this.issued.filter((entry) => entry.token === token).map((entry) => entry.id);
  }

  private readonly issued: { id: string; token: string }[] = [];

  reset(): void {
    this.tickets.clear();
    this.receiptAnswers.clear();
    this.projects.clear();
    this.receipts.clear();
    this.issued.length = 0;
    this.staged.length = 0;
    this.sends.length = 0;
    this.receiptRequests.length = 0;
    this.offsetMs = 0;
    this.counters.reset();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    const errors = (status: number, code: string, message: string, details?: unknown) =>
      reply(status, { errors: [{ code, message, ...(details !== undefined ? { details } : {}) }] });
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && (path === '/__stage' || path === '/__clock')) return this.control(path, await readRaw(req), reply);
    if (req.method === 'POST' && path === '/__reset') return (this.reset(), reply(200, {}));
    if (req.method === 'GET' && path === '/__stats') {
      const { inFlight, maxInFlight, requests } = this.counters;
      return reply(200, { inFlight, maxInFlight, requests, recipients: this.sends.reduce((sum, s) => sum + s.recipients.length, 0) });
    }
    if (req.method !== 'POST' || (path !== '/--/api/v2/push/send' && path !== '/--/api/v2/push/getReceipts')) return reply(404, { errors: [{ code: 'NOT_FOUND', message: 'Not found' }] });
    const raw = await readRaw(req);
    const done = this.counters.begin(undefined);
    try {
      const authorization = req.headers.authorization;
      if (this.options.accessToken !== undefined) {
        if (!authorization) return errors(401, 'UNAUTHORIZED', 'The bearer token is missing; this project requires an access token for push notifications.');
        if (authorization !== `Bearer ${this.options.accessToken}`) return reply(401, { error: 'invalid_token', error_description: 'The bearer token is invalid' });
      }
      const gzip = req.headers['content-encoding'] === 'gzip';
      let body: unknown;
      try {
        body = JSON.parse((gzip ? gunzipSync(raw) : raw).toString('utf8'));
      } catch {
        return errors(400, 'VALIDATION_ERROR', 'The request body is not valid JSON.');
      }
      if (path === '/--/api/v2/push/getReceipts') return this.getReceipts(body, authorization, reply, errors);

      const messages = (Array.isArray(body) ? body : [body]) as Record<string, unknown>[];
      const expanded = messages.flatMap((message) => (Array.isArray(message.to) ? message.to : [message.to]).map((to) => ({ message, to: String(to) })));
      this.sends.push({ recipients: expanded.map((e) => e.to), gzip, ...(authorization ? { authorization } : {}), messages, at: Date.now() });
      const staged = this.staged.shift();
      if (staged && 'reset' in staged) return dropConnection(req);
      if (staged && 'status' in staged && staged.status === 429) return errors(429, 'TOO_MANY_REQUESTS', 'Exceeded 600 notifications per second per project.');
      if (staged && 'html' in staged) {
        res.writeHead(staged.status, { 'content-type': 'text/html' });
        return void res.end(`<html><head><title>${staged.status}</title></head><body><h1>${staged.status} Server Error</h1></body></html>`);
      }
      if (expanded.length > 100) return errors(400, 'PUSH_TOO_MANY_NOTIFICATIONS', 'You are trying to send more than 100 push notifications in one request.');
      const byProject = new Map<string, string[]>();
      for (const { to } of expanded) {
        const project = this.projects.get(to) ?? DEFAULT_PROJECT;
        byProject.set(project, [...(byProject.get(project) ?? []), to]);
      }
      if (byProject.size > 1) {
        return errors(400, 'PUSH_TOO_MANY_EXPERIENCE_IDS', 'All push notification messages in the same request must be for the same project; check the details field to investigate conflicting tokens.', Object.fromEntries(byProject));
      }
      const tickets = expanded.map(({ message, to }) => this.ticket(message, to));
      reply(200, { data: staged && 'wrongTicketCount' in staged ? tickets.slice(1) : tickets });
    } finally {
      done();
    }
  }

  private control(path: string, raw: Buffer, reply: (status: number, body: unknown) => void): void {
    try {
      const body = JSON.parse(raw.toString('utf8')) as { token?: string; tokens?: string[]; ticket?: ExpoTicketAnswer; receipt?: ExpoReceiptAnswer; project?: string; advance_ms?: number };
      if (path === '/__clock') {
        this.offsetMs += Number(body.advance_ms ?? 0);
        return reply(200, { clock: new Date(this.clock).toISOString() });
      }
      const tokens = body.tokens ?? (body.token ? [body.token] : []);
      if (tokens.length === 0) throw new Error('token');
      for (const token of tokens) {
        if (body.ticket) this.stageTicket(token, body.ticket);
        if (body.receipt) this.stageReceipt(token, body.receipt);
        if (body.project) this.setProject(token, body.project);
      }
      reply(200, { staged: tokens.length });
    } catch {
      reply(400, { error: 'body must be {"token", "ticket"?, "receipt"?, "project"?} or {"advance_ms"}' });
    }
  }

  private ticket(message: Record<string, unknown>, to: string): Record<string, unknown> {
    const { to: _to, ...payload } = message;
    if (Buffer.byteLength(JSON.stringify(payload)) > 4096) {
      return { status: 'error', message: 'Message too big', details: { error: 'MessageTooBig' } };
    }
    const answer = this.tickets.get(to) ?? { status: 'ok' };
    if (answer.status === 'error') {
      return {
        status: 'error',
        message: answer.message ?? `"${to}" failed: ${answer.error}`,
        details: { error: answer.error, ...(answer.error === 'DeviceNotRegistered' ? { expoPushToken: to } : {}) },
      };
    }
    const id = randomUUID();
    this.issued.push({ id, token: to });
    this.receipts.set(id, {
      answer: this.receiptAnswers.get(to) ?? { status: 'ok' },
      readyAt: this.clock + (this.options.receiptDelayMs ?? 0),
      expiresAt: this.clock + EXPO_RECEIPT_RETENTION_MS,
    });
    return { status: 'ok', id };
  }

  private getReceipts(
    body: unknown,
    authorization: string | undefined,
    reply: (status: number, body: unknown) => void,
    errors: (status: number, code: string, message: string) => void,
  ): void {
    const ids = (body as { ids?: unknown } | null)?.ids;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) return errors(400, 'VALIDATION_ERROR', '"ids" must be an array of strings.');
    this.receiptRequests.push({ ids: ids as string[], ...(authorization ? { authorization } : {}) });
    if (ids.length > 1000) return errors(400, 'PUSH_TOO_MANY_RECEIPTS', 'You are trying to get more than 1000 push receipts in one request.');
    const data: Record<string, unknown> = {};
    for (const id of ids as string[]) {
      const receipt = this.receipts.get(id);
      if (!receipt || receipt.answer === 'never' || this.clock < receipt.readyAt || this.clock >= receipt.expiresAt) continue;
      data[id] =
        receipt.answer.status === 'ok'
          ? { status: 'ok' }
          : { status: 'error', message: receipt.answer.message ?? receipt.answer.error, details: { error: receipt.answer.error } };
    }
    reply(200, { data });
  }
}

async function readRaw(req: http2.Http2ServerRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
