import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeliveryOutcome } from './providers/provider';
import type { SendObserver } from './sender/notification-sender';
import type { ReceiptCheckerOptions } from './sender/expo-receipts';
import type { ProviderKey } from './tokens/token-fields';
import type { RegistryEvent } from './tokens/token-registry';

/** What the HTTP layer reports of each request (http/request-context.ts calls it). */
export type RequestObserver = (info: { method: string; route: string; status: number; seconds: number }) => void;

/**
 * Prometheus metrics, in a registry of their own (one per app, so tests can build several).
 * Labels are bounded: route templates, never raw paths, so no token can become a label value;
 * reasons are the classifier's codes (`apns:Unregistered`), a closed set.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly tokensRegistered = new Counter({
    name: 'push_tokens_registered_total',
    help: 'Token registrations by provider and change (created, updated, transferred)',
    labelNames: ['provider', 'change'] as const,
    registers: [this.registry],
  });
  private readonly tokensRefreshed = new Counter({
    name: 'push_tokens_refreshed_total',
    help: 'Older tokens retired because their device registered a new one',
    registers: [this.registry],
  });
  private readonly tokensInvalidated = new Counter({
    name: 'push_tokens_invalidated_total',
    help: 'Tokens marked failed because a provider reported them dead, by provider and reason',
    labelNames: ['provider', 'reason'] as const,
    registers: [this.registry],
  });
  private readonly sends = new Counter({
    name: 'push_sends_total',
    help: 'Provider answers per token (every attempt), by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly providerLatency = new Histogram({
    name: 'push_provider_batch_duration_seconds',
    help: 'Time a provider adapter took to answer one batch, by provider',
    labelNames: ['provider'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  private readonly invalidationsHeld = new Counter({
    name: 'push_invalidations_held_total',
    help: 'Invalidations held by the mass-invalidation guard (tokens left active), by provider and reason',
    labelNames: ['provider', 'reason'] as const,
    registers: [this.registry],
  });
  private clientCounts: () => Record<string, number> = () => ({});
  private readonly providerClients = new Gauge({
    name: 'push_provider_clients',
    help: 'Live provider clients built from API credentials (one per credential, revision and APNs environment), by provider',
    labelNames: ['provider'] as const,
    registers: [this.registry],
    collect: () => {
      for (const [provider, count] of Object.entries(this.clientCounts())) this.providerClients.set({ provider }, count);
    },
  });

  private readonly receiptsChecked = new Counter({
    name: 'push_expo_receipts_checked_total',
    help: 'Expo tickets whose receipt was looked for, by outcome (ok, invalidated, kept_active, held, retryable, rejected, missing after 24 h, not_ready, unavailable)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private clock: () => Date = () => new Date();
  private readonly expoTickets = new BacklogGauges(this.registry, () => this.clock(), {
    count: ['push_expo_tickets_pending', 'Expo tickets waiting for their receipt to be read'],
    oldest: ['push_expo_ticket_oldest_pending_seconds', 'Age of the oldest Expo ticket waiting for its receipt (0 when none)'],
  });

  private readonly messages = new Counter({
    name: 'push_messages_total',
    help: 'Messages of the message log by the status a send left them in (SENT, UNDELIVERABLE, UNROUTABLE), and DELAYED and CANCELED',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private delayedCount: () => Promise<number> = async () => 0;
  private sendResultCount: () => Promise<number> = async () => 0;

  /** A gauge read from a count when /metrics is scraped (NaN while the count can't be read). */
  private countGauge(name: string, help: string, count: () => Promise<number>): Gauge {
    const gauge: Gauge = new Gauge({ name, help, registers: [this.registry], collect: async () => gauge.set(await count().catch(() => Number.NaN)) });
    return gauge;
  }

  private readonly delayedPending = this.countGauge('push_delayed_messages_pending', 'Delayed messages waiting to be sent (rows of scheduled_sends)', () => this.delayedCount());
  private readonly sendResultsPending = this.countGauge(
    'push_send_results_pending',
    'Send results whose effects (token writes, message log, webhooks) are not applied yet (rows of send_results)',
    () => this.sendResultCount(),
  );

  private readonly webhookDeliveries = new Counter({
    name: 'push_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, retrying, given_up) and endpoints disabled',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly webhookOutbox = new BacklogGauges(this.registry, () => this.clock(), {
    count: ['push_webhook_events_pending', 'Webhook deliveries waiting in the outbox (due now, or retrying later)'],
    oldest: ['push_webhook_oldest_pending_seconds', 'Age of the oldest webhook delivery still in the outbox (0 when none)'],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Where the webhook outbox's backlog comes from (read when /metrics is scraped). */
  watchWebhookOutbox(pending: () => Promise<{ count: number; oldest: Date | undefined }>): void {
    this.webhookOutbox.watch(pending);
  }

  readonly webhookObserver = {
    delivered: (outcome: string, count: number) => this.webhookDeliveries.inc({ outcome }, count),
  };

  /** Where the delayed-message backlog comes from (read when /metrics is scraped). */
  watchDelayedMessages(count: () => Promise<number>): void {
    this.delayedCount = count;
  }

  /** Where the send results waiting for their effects are counted (read when /metrics is scraped). */
  watchSendResults(count: () => Promise<number>): void {
    this.sendResultCount = count;
  }

  /** A message reached `status` (the message log reports each). */
  readonly onMessageStatus = (status: string, count = 1): void => {
    this.messages.inc({ status }, count);
  };

  /** Where the live provider-client counts come from (read when /metrics is scraped). */
  watchProviderClients(counts: () => Record<string, number>): void {
    this.clientCounts = counts;
  }

  /** Where the Expo ticket backlog comes from (read when /metrics is scraped). */
  watchExpoTickets(pending: () => Promise<{ count: number; oldestSentAt: Date | undefined }>, now?: () => Date): void {
    this.expoTickets.watch(async () => {
      const { count, oldestSentAt } = await pending();
      return { count, oldest: oldestSentAt };
    });
    if (now) this.clock = now;
  }

  readonly receiptObserver: ReceiptCheckerOptions['observer'] = {
    checked: (outcome, count) => this.receiptsChecked.inc({ outcome }, count),
    held: (reason, count) => this.invalidationsHeld.inc({ provider: 'expo', reason }, count),
  };

  readonly observeRequest: RequestObserver = ({ method, route, status, seconds }) => {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  };

  readonly onRegistryEvent = (event: RegistryEvent): void => {
    if (event.type === 'registered') this.tokensRegistered.inc({ provider: event.provider, change: event.change });
    else if (event.type === 'refreshed') this.tokensRefreshed.inc(event.count);
    else this.tokensInvalidated.inc({ provider: event.provider, reason: event.reason }, event.count);
  };

  readonly sendObserver: SendObserver = {
    attempt: (provider: ProviderKey, outcome: DeliveryOutcome, seconds: number, count: number) => {
      this.sends.inc({ provider, outcome }, count);
      this.providerLatency.observe({ provider }, seconds);
    },
    held: (provider: ProviderKey, reason: string, count: number) => this.invalidationsHeld.inc({ provider, reason }, count),
  };

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

type Backlog = { count: number; oldest: Date | undefined };

/**
 * Two gauges of one backlog (Expo tickets, the webhook outbox): how many wait, and the age of
 * the oldest. Both are collected at once (in parallel) for one scrape: one query serves them.
 */
class BacklogGauges {
  private source: () => Promise<Backlog> = async () => ({ count: 0, oldest: undefined });
  private query: Promise<Backlog> | undefined;

  constructor(registry: Registry, clock: () => Date, names: { count: [string, string]; oldest: [string, string] }) {
    const once = () => {
      this.query ??= this.source()
        .catch(() => ({ count: Number.NaN, oldest: undefined }))
        .finally(() => setImmediate(() => (this.query = undefined)));
      return this.query;
    };
    new Gauge({ name: names.count[0], help: names.count[1], registers: [registry], async collect() { this.set((await once()).count); } });
    new Gauge({
      name: names.oldest[0],
      help: names.oldest[1],
      registers: [registry],
      async collect() {
        const { oldest } = await once();
        this.set(oldest ? Math.max(0, (clock().getTime() - oldest.getTime()) / 1000) : 0);
      },
    });
  }

  watch(source: () => Promise<Backlog>): void {
    this.source = source;
  }
}
