import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { errorForLog, type Logger } from '../logger';
import { IntervalWorker } from '../queue/interval-worker';
import { filteringAgents, type DestinationPolicy } from './destination';
import type { EndpointDocument, EndpointStore } from './endpoint-store';
import type { ClaimedDelivery, Outbox } from './outbox';

/**
 * Delivers the outbox, from whichever replica claims a row first (the leased queue), at least
 * once: every attempt of an event carries the same `webhook-id`. Signed as Standard Webhooks
 * (`standardwebhooks`; during a rotation with both secrets, space-separated). Any 2xx
 * succeeds; a 410 disables the endpoint; anything else, a timeout (15 s for the whole attempt) or a refused address
 * is retried after 5 s, 5 m, 30 m, 2 h, 5 h, 10 h and 10 h, then given up. Redirects are not
 * followed. At most WEBHOOK_CONCURRENCY requests are in flight per endpoint.
 */
export const RETRY_SCHEDULE_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 5 * 3600_000, 10 * 3600_000, 10 * 3600_000];
/** The whole attempt, from connecting to the last byte kept: a receiver that trickles its answer is cut off here too. */
export const ATTEMPT_TIMEOUT_MS = 15_000;
const RESPONSE_KEPT_BYTES = 1024;
const BATCH = 200;
/** A row's lease; renewed every third of it while its attempt runs (LeasedQueue.whileHeld). */
const LEASE_MS = 60_000;
/** Rows one endpoint may have claimed and waiting on this replica: past it, its rows stay in the outbox for later passes. */
const QUEUED_PER_ENDPOINT = 200;

export type DispatcherOptions = DestinationPolicy & {
  concurrency: number;
  disableAfterMs: number;
  intervalMs: number;
  logger: Logger;
  now?: () => Date;
  /** The whole attempt's deadline (ATTEMPT_TIMEOUT_MS by default). */
  attemptTimeoutMs?: number;
  observer?: { delivered?: (outcome: 'delivered' | 'retrying' | 'given_up' | 'disabled', count: number) => void };
};
export type DispatchReport = { delivered: number; retrying: number; given_up: number; dropped: number };

type Answer = { status: number | null; body: string | null; error: string | null; ms: number };

/**
 * One endpoint's deliveries on this replica: its claimed rows wait here and go out at most
 * WEBHOOK_CONCURRENCY at a time. Each endpoint has its own lane, so a slow endpoint only ever
 * delays its own deliveries, never another's (or another workspace's).
 */
type Lane = { endpoint: EndpointDocument; waiting: ClaimedDelivery[]; active: number; idle: Promise<void>; settle: () => void };

export class WebhookDispatcher {
  private readonly worker: IntervalWorker<DispatchReport>;
  private readonly now: () => Date;
  private readonly agents;
  private readonly lanes = new Map<string, Lane>();
  /** Every outcome since start; runOnce answers what changed during it. */
  private readonly totals: DispatchReport = { delivered: 0, retrying: 0, given_up: 0, dropped: 0 };

  constructor(
    private readonly outbox: Outbox,
    private readonly endpoints: EndpointStore,
    private readonly options: DispatcherOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.agents = filteringAgents(options);
    this.worker = new IntervalWorker({ name: 'webhook dispatcher', intervalMs: options.intervalMs, pass: () => this.pass(), logger: options.logger });
  }

  start(): void {
    this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    await this.idle();
    this.agents.destroy();
  }

  /** One pass now, and every delivery it started (tests, the admin CLI): what they did. */
  async runOnce(): Promise<DispatchReport> {
    const before = { ...this.totals };
    await this.worker.runOnce();
    await this.idle();
    return { delivered: this.totals.delivered - before.delivered, retrying: this.totals.retrying - before.retrying, given_up: this.totals.given_up - before.given_up, dropped: this.totals.dropped - before.dropped };
  }

  /** Until every lane has nothing left. */
  private async idle(): Promise<void> {
    while (this.lanes.size > 0) await Promise.all([...this.lanes.values()].map((lane) => lane.idle));
  }

  /**
   * Claims due rows, except those of endpoints whose lane here is full, and hands them to their
   * endpoints' lanes. Never waits for a delivery: the next pass claims again while slow
   * endpoints are still answering.
   */
  private async pass(): Promise<DispatchReport> {
    for (;;) {
      const full = [...this.lanes].filter(([, lane]) => lane.waiting.length + lane.active >= QUEUED_PER_ENDPOINT).map(([id]) => id);
      const claimed = await this.outbox.queue.claimDue(this.now(), BATCH, LEASE_MS, full.length > 0 ? { endpoint_id: { $nin: full } } : undefined);
      const byEndpoint = new Map<string, ClaimedDelivery[]>();
      for (const row of claimed) byEndpoint.set(row.endpoint_id, [...(byEndpoint.get(row.endpoint_id) ?? []), row]);
      await Promise.all([...byEndpoint].map(([endpointId, rows]) => this.enqueue(endpointId, rows)));
      if (claimed.length < BATCH) break;
    }
    return { ...this.totals };
  }

  private async enqueue(endpointId: string, rows: ClaimedDelivery[]): Promise<void> {
    let lane = this.lanes.get(endpointId);
    if (!lane) {
      const endpoint = await this.endpoints.collection.findOne({ _id: endpointId });
      if (!endpoint || endpoint.disabled) {
        this.totals.dropped += rows.length;
        await Promise.all(rows.map((row) => this.outbox.queue.complete(row.claim, [row._id])));
        return;
      }
      let settle = () => undefined as void;
      const idle = new Promise<void>((resolve) => (settle = resolve));
      lane = { endpoint, waiting: [], active: 0, idle, settle };
      this.lanes.set(endpointId, lane);
    }
    lane.waiting.push(...rows);
    this.pump(endpointId, lane);
  }

  /** Starts the lane's waiting rows, up to WEBHOOK_CONCURRENCY at once; the lane goes when it has none left. */
  private pump(endpointId: string, lane: Lane): void {
    while (lane.active < this.options.concurrency && lane.waiting.length > 0) {
      const row = lane.waiting.shift()!;
      lane.active++;
      // A row waits in the lane under its claim's lease: whileHeld renews it, or skips the row if another replica took it meanwhile.
      this.outbox.queue
        .whileHeld(row.claim, row._id, LEASE_MS, this.now, () => this.deliver(lane.endpoint, row, this.totals))
        .catch((error: unknown) => this.options.logger.error({ endpoint: endpointId, error: errorForLog(error) }, 'a webhook delivery could not be recorded; it is due again after its lease'))
        .finally(() => {
          lane.active--;
          if (lane.waiting.length > 0) this.pump(endpointId, lane);
          else if (lane.active === 0 && this.lanes.get(endpointId) === lane) {
            this.lanes.delete(endpointId);
            lane.settle();
          }
        });
    }
  }

  private async deliver(endpoint: EndpointDocument, row: ClaimedDelivery, report: DispatchReport): Promise<void> {
    const now = this.now();
    let answer: Answer;
    try {
      const signature = this.endpoints.secretsOf(endpoint, now).map((secret) => new Webhook(secret).sign(row.event_id, now, row.payload)).join(' ');
      answer = await this.post(endpoint.url, row, now, signature);
    } catch (error) {
      answer = { status: null, body: null, error: (error as Error).message, ms: 0 };
    }
    const attempt = row.attempts ?? 1;
    const ok = answer.status !== null && answer.status >= 200 && answer.status < 300;
    const gone = answer.status === 410;
    const delay = ok || gone ? undefined : RETRY_SCHEDULE_MS[attempt - 1];
    const nextRetry = delay === undefined ? null : new Date(now.getTime() + delay);
    await this.outbox.recordAttempt({ workspace_id: row.workspace_id, endpoint_id: endpoint._id, event_id: row.event_id, type: row.type, at: now, status: answer.status, duration_ms: answer.ms, response: answer.body, error: answer.error, next_retry: nextRetry });
    if (ok) {
      report.delivered++;
      this.options.observer?.delivered?.('delivered', 1);
      await Promise.all([this.outbox.queue.complete(row.claim, [row._id]), this.endpoints.recordSuccess(endpoint._id)]);
      return;
    }
    const { disabled } = await this.endpoints.recordFailure(endpoint._id, now, this.options.disableAfterMs, gone);
    if (disabled) {
      this.options.observer?.delivered?.('disabled', 1);
      this.options.logger.warn({ endpoint: endpoint._id, workspace_id: endpoint.workspace_id, reason: gone ? '410 Gone' : 'WEBHOOK_DISABLE_AFTER' }, 'webhook endpoint disabled');
    }
    if (nextRetry) {
      report.retrying++;
      this.options.observer?.delivered?.('retrying', 1);
      await this.outbox.queue.retry(row.claim, [row._id], nextRetry, answer.error ?? `HTTP ${answer.status}`);
    } else {
      report.given_up++;
      this.options.observer?.delivered?.('given_up', 1);
      this.options.logger.warn({ endpoint: endpoint._id, event_id: row.event_id, attempts: attempt, status: answer.status, error: answer.error }, gone ? 'webhook delivery dropped: the endpoint is gone (410)' : 'webhook delivery given up after every retry');
      await this.outbox.queue.complete(row.claim, [row._id]);
    }
  }

  /**
   * One POST, through the filtering agent; never follows a redirect. One deadline covers the
   * whole attempt, and the answer is read only as far as what is kept (its first 1 KB): a
   * receiver that trickles or floods its answer costs this lane at most the deadline.
   */
  private post(url: string, row: ClaimedDelivery, now: Date, signature: string): Promise<Answer> {
    const started = process.hrtime.bigint();
    const ms = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    const deadlineMs = this.options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
    return new Promise((resolve) => {
      let done = false;
      const finish = (answer: Answer) => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        resolve(answer);
      };
      const target = new URL(url);
      const request = (target.protocol === 'https:' ? https : http).request(
        target,
        {
          method: 'POST',
          agent: this.agents.for(url),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'push-token-registry-webhooks',
            'webhook-id': row.event_id,
            'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
            'webhook-signature': signature,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const answered = () => ({ status: response.statusCode ?? null, body: Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_KEPT_BYTES), error: null, ms: ms() });
          response.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            size += chunk.length;
            if (size >= RESPONSE_KEPT_BYTES) {
              // Enough is kept: the rest is never read.
              finish(answered());
              response.destroy();
            }
          });
          response.on('end', () => finish(answered()));
          response.on('error', (error) => finish({ status: response.statusCode ?? null, body: null, error: error.message, ms: ms() }));
        },
      );
      const deadline = setTimeout(() => {
        finish({ status: null, body: null, error: `no answer within ${deadlineMs / 1000} s`, ms: ms() });
        request.destroy();
      }, deadlineMs);
      request.on('error', (error) => finish({ status: null, body: null, error: describe(error), ms: ms() }));
      request.end(row.payload);
    });
  }
}

/**
 * What an attempt's record says of a failure. The filtering agent's refusal names the address a
 * name resolved to (and the resolver's host name): that would tell the endpoint's owner what
 * internal names resolve to, so it reads only "destination not allowed". Anything else: the
 * error's code and message.
 */
export function describe(error: Error): string {
  if (/DNS lookup|not allowed/i.test(error.message)) return 'destination not allowed';
  const text = errorForLog(error).message as string | undefined;
  const code = (error as { code?: string }).code;
  return code ? `${code}: ${text ?? error.message}` : (text ?? error.message);
}
