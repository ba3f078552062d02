import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { mapWithConcurrency } from '../concurrency';
import { errorForLog, type Logger } from '../logger';
import { IntervalWorker } from '../queue/interval-worker';
import { filteringAgents, type DestinationPolicy } from './destination';
import type { EndpointDocument, EndpointStore } from './endpoint-store';
import type { ClaimedDelivery, Outbox } from './outbox';

/**
 * Delivers the outbox, from whichever replica claims a row first (the leased queue), at least
 * once: every attempt of an event carries the same `webhook-id`. Signed as Standard Webhooks
 * (`standardwebhooks`; during a rotation with both secrets, space-separated). Any 2xx
 * succeeds; a 410 disables the endpoint; anything else, a timeout (15 s) or a refused address
 * is retried after 5 s, 5 m, 30 m, 2 h, 5 h, 10 h and 10 h, then given up. Redirects are not
 * followed. At most WEBHOOK_CONCURRENCY requests are in flight per endpoint.
 */
export const RETRY_SCHEDULE_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 5 * 3600_000, 10 * 3600_000, 10 * 3600_000];
const ATTEMPT_TIMEOUT_MS = 15_000;
const RESPONSE_KEPT_BYTES = 1024;
const BATCH = 200;
const LEASE_MS = 60_000;

export type DispatcherOptions = DestinationPolicy & {
  concurrency: number;
  disableAfterMs: number;
  intervalMs: number;
  logger: Logger;
  now?: () => Date;
  observer?: { delivered?: (outcome: 'delivered' | 'retrying' | 'given_up' | 'disabled', count: number) => void };
};
export type DispatchReport = { delivered: number; retrying: number; given_up: number; dropped: number };

type Answer = { status: number | null; body: string | null; error: string | null; ms: number };

export class WebhookDispatcher {
  private readonly worker: IntervalWorker<DispatchReport>;
  private readonly now: () => Date;
  private readonly agents;

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
    this.agents.destroy();
  }

  runOnce(): Promise<DispatchReport> {
    return this.worker.runOnce();
  }

  private async pass(): Promise<DispatchReport> {
    const report: DispatchReport = { delivered: 0, retrying: 0, given_up: 0, dropped: 0 };
    for (;;) {
      const claimed = await this.outbox.queue.claimDue(this.now(), BATCH, LEASE_MS);
      const byEndpoint = new Map<string, ClaimedDelivery[]>();
      for (const row of claimed) byEndpoint.set(row.endpoint_id, [...(byEndpoint.get(row.endpoint_id) ?? []), row]);
      await Promise.all(
        [...byEndpoint].map(async ([endpointId, rows]) => {
          const endpoint = await this.endpoints.collection.findOne({ _id: endpointId });
          if (!endpoint || endpoint.disabled) {
            report.dropped += rows.length;
            await Promise.all(rows.map((row) => this.outbox.queue.complete(row.claim, [row._id])));
            return;
          }
          await mapWithConcurrency(rows, this.options.concurrency, (row) => this.deliver(endpoint, row, report));
        }),
      );
      if (claimed.length < BATCH) break;
    }
    return report;
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

  /** One POST, through the filtering agent; never follows a redirect. */
  private post(url: string, row: ClaimedDelivery, now: Date, signature: string): Promise<Answer> {
    const started = process.hrtime.bigint();
    const ms = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    return new Promise((resolve) => {
      const target = new URL(url);
      const request = (target.protocol === 'https:' ? https : http).request(
        target,
        {
          method: 'POST',
          agent: this.agents.for(url),
          timeout: ATTEMPT_TIMEOUT_MS,
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
          response.on('data', (chunk: Buffer) => {
            if (size < RESPONSE_KEPT_BYTES) chunks.push(chunk);
            size += chunk.length;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? null, body: Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_KEPT_BYTES), error: null, ms: ms() }));
          response.on('error', (error) => resolve({ status: response.statusCode ?? null, body: null, error: error.message, ms: ms() }));
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`)));
      request.on('error', (error) => resolve({ status: null, body: null, error: describe(error), ms: ms() }));
      request.end(row.payload);
    });
  }
}

/** The filtering agent's refusal says which address; anything else, the error's code or message. */
function describe(error: Error): string {
  const text = errorForLog(error).message as string | undefined;
  return (error as { code?: string }).code && !/DNS lookup|not allowed/i.test(error.message) ? `${(error as { code?: string }).code}: ${text ?? error.message}` : (text ?? error.message);
}
