import type { Config } from './config';
import type { HealthChecks } from './http/health-routes';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import type { ProviderRegistry } from './providers/provider-registry';
import { CredentialStore, ensureCredentialIndexes } from './apps/credential-store';
import type { Database } from './db/connect';
import type { SecretBox } from './apps/secret-box';
import { DeliveryStore } from './sender/delivery-store';
import { DeliveryRouter } from './sender/delivery-router';
import { ProviderClients } from './apps/provider-clients';
import { NotificationSender } from './sender/notification-sender';
import { ensureExpoTicketIndexes, ExpoTicketStore } from './sender/expo-tickets';
import { ExpoReceiptChecker, type ReceiptSources } from './sender/expo-receipts';
import type { ExpoProvider } from './providers/expo-provider';
import { DeviceRegistry } from './tokens/device-registry';
import { ensureTokenIndexes, tokenModel } from './tokens/token-model';
import { ensureUserTokenCounts, UserTokenCounts } from './tokens/user-token-counts';
import { UserTokenBudget } from './tokens/user-budget';
import { TokenRegistry } from './tokens/token-registry';
import { TokenStatsService } from './tokens/token-stats';
import { ensureMessageIndexes } from './messages/message-document';
import { ensureMessageDayIndexes, MessageStore } from './messages/message-store';
import { MessageService } from './messages/message-service';
import { MessageScheduler } from './messages/scheduler';
import { ensureScheduledSendIndexes, ScheduledSends } from './messages/scheduled-sends';
import type { MessageDocument } from './messages/message-document';
import { messageDetails } from './messages/message-view';
import { ensureEndpointIndexes, EndpointStore } from './webhooks/endpoint-store';
import { ensureOutboxIndexes, Outbox } from './webhooks/outbox';
import { WebhookDispatcher } from './webhooks/dispatcher';
import { WebPushPublicKeys } from './apps/webpush-public-keys';
import { messageUpdated } from './webhooks/events';
import { ensureSendResultIndexes, SendResultStore } from './sender/send-result';
import { OutcomeApplier } from './outcomes/outcome-applier';
import { OutcomeQueue } from './outcomes/outcome-queue';
import { patchInvalidations } from './outcomes/patch-invalidations';
import { ensureIdempotencyIndexes, IdempotencyStore } from './messages/idempotency';
import { ensureListIndexes, ListStore } from './audiences/list-store';
import { AudienceStore, ensureAudienceIndexes } from './audiences/audience-store';
import { ensureBroadcastIndexes } from './broadcast/broadcast-document';
import { BroadcastStore } from './broadcast/broadcast-store';
import { BroadcastService } from './broadcast/broadcast-service';
import { BroadcastWorker } from './broadcast/broadcast-worker';
import { Chunker } from './broadcast/chunker';
import { ChunkSender } from './broadcast/chunk-sender';
import { ensureRateIndexes, RateBudget } from './broadcast/rate-budget';
import { ensureLiveActivityIndexes, LiveActivityStore } from './tokens/live-activity-store';
import { ChannelStore, ensureChannelIndexes } from './channels/channel-store';
import { ChannelService } from './channels/channel-service';
import { ChannelSender } from './sender/channel-send';

export type Services = {
  registry: TokenRegistry;
  credentials: CredentialStore;
  /** Live provider clients built from API credentials; closed on shutdown. */
  providerClients: ProviderClients;
  devices: DeviceRegistry;
  sender: NotificationSender;
  /** After dispatch (src/outcomes): applies each send result's effects, now or from the queue. */
  outcomes: OutcomeApplier;
  outcomeQueue: OutcomeQueue;
  sendResults: SendResultStore;
  /** The message log (src/messages): POST /send goes through it, and /messages reads it. */
  messages: MessageService;
  messageStore: MessageStore;
  /** Sends delayed messages when due; started with the other background work. */
  scheduler: MessageScheduler;
  idempotency: IdempotencyStore;
  /** Courier's lists and audiences (src/audiences), and broadcasts to them (src/broadcast). */
  lists: ListStore;
  audiences: AudienceStore;
  broadcasts: BroadcastService;
  broadcastStore: BroadcastStore;
  /** Plans and sends broadcast chunks; started with the other background work. */
  broadcastWorker: BroadcastWorker;
  channels: ChannelService;
  /** Webhooks (src/webhooks): endpoints, the outbox, and the dispatcher that delivers it. */
  webhookEndpoints: EndpointStore;
  outbox: Outbox;
  dispatcher: WebhookDispatcher;
  /** Reads Expo receipts; server.ts starts it on an interval, the admin CLI runs one pass. */
  receipts: ExpoReceiptChecker;
  /** The VAPID public keys pages subscribe with (GET /webpush/public-key). */
  webPushKeys: WebPushPublicKeys;
  /** The console's overview figures (GET /stats), cached per workspace. */
  stats: TokenStatsService;
  health: HealthChecks;
  /** The service's clock (a test's, in tests): the routes that time things (delays, cancels, tracking) read it. */
  clock: () => Date;
  /** Starts the background work (the Expo receipt checker); the admin CLI runs its passes by hand instead. */
  start: () => void;
  /** Stops the background work and closes the provider clients built from API credentials. */
  stop: () => Promise<void>;
};

/** Every index the service's collections need; idempotent. */
export async function ensureIndexes({ connection, db }: Database): Promise<void> {
  await ensureTokenIndexes(tokenModel(connection));
  await ensureCredentialIndexes(db);
  await ensureExpoTicketIndexes(db);
  await ensureUserTokenCounts(db);
  await ensureMessageIndexes(db);
  await ensureMessageDayIndexes(db);
  await ensureIdempotencyIndexes(db);
  await ensureScheduledSendIndexes(db);
  await ensureEndpointIndexes(db);
  await ensureOutboxIndexes(db);
  await ensureSendResultIndexes(db);
  await ensureListIndexes(db);
  await ensureAudienceIndexes(db);
  await ensureBroadcastIndexes(db);
  await ensureRateIndexes(db);
  await ensureLiveActivityIndexes(db);
  await ensureChannelIndexes(db);
}

/** How long a claim on a send result keeps the others off it; renewed before each is applied. */
const OUTCOME_CLAIM_MS = 60_000;
/** How often each replica looks for send results whose writer did not apply them. */
const OUTCOME_INTERVAL_MS = 1_000;

/** How long /readyz waits for MongoDB to answer a ping. */
const PING_TIMEOUT_MS = 1_000;
/** A dashboard left open re-reads the overview at most this often per workspace (and replica). */
const STATS_CACHE_MS = 30_000;

/**
 * The one composition of the service: stores, provider clients, sender, background jobs, over
 * one database. server.ts, the tests (test/support/test-app.ts) and the admin CLI all build
 * from this, so none of them wires anything of its own.
 */
export function createServices(deps: {
  database: Database;
  providers: ProviderRegistry;
  config: Pick<Config, 'defaultTokenTtl' | 'userLimits' | 'retry' | 'delivery' | 'invalidationGuard' | 'expoReceipts' | 'messages' | 'webhooks' | 'outcomes' | 'workspaceLimits' | 'broadcast'> & Partial<Pick<Config, 'webpushVapid'>>;
  now?: () => Date;
  credentialsBox: SecretBox | undefined;
  logger: Logger;
  metrics: Metrics;
  draining: () => boolean;
}): Services {
  const { connection, db } = deps.database;
  const model = tokenModel(connection);
  const onEvent = deps.metrics.onRegistryEvent;
  // One per-user budget for both APIs, over the counts collection (user-token-counts.ts).
  const budget = deps.config.userLimits ? new UserTokenBudget(model, new UserTokenCounts(db), deps.config.userLimits) : undefined;
  const credentials = new CredentialStore(db, deps.credentialsBox, deps.config.workspaceLimits);
  const providerClients = new ProviderClients(credentials, deps.config.delivery);
  deps.metrics.watchProviderClients(() => providerClients.counts());
  const deliveries = new DeliveryStore(model);
  const tickets = new ExpoTicketStore(db);
  deps.metrics.watchExpoTickets(() => tickets.pending(), deps.now);
  const messageStore = new MessageStore(db);
  const webhookEndpoints = new EndpointStore(db, deps.credentialsBox, deps.config.workspaceLimits.webhookEndpoints);
  const outbox = new Outbox(db, webhookEndpoints);
  const clock = deps.now ?? (() => new Date());
  // Every status change of a message is a message.updated event (webhooks/events.ts).
  messageStore.onStatusChange(async (changed) => {
    const byWorkspace = new Map<string, MessageDocument[]>();
    for (const message of changed) byWorkspace.set(message.workspace_id, [...(byWorkspace.get(message.workspace_id) ?? []), message]);
    const at = clock();
    await Promise.all([...byWorkspace].map(([workspace, messages]) => outbox.add(workspace, messages.map((m) => messageUpdated(messageDetails(m), at)), at)));
  });
  const sendResults = new SendResultStore(db);
  deps.metrics.watchSendResults(() => sendResults.pending());
  const sender = new NotificationSender(deliveries, new DeliveryRouter(deps.providers, credentials, providerClients), sendResults, {
    ...(deps.now ? { now: deps.now } : {}),
    retry: deps.config.retry,
    guard: deps.config.invalidationGuard,
    logger: deps.logger,
    observer: deps.metrics.sendObserver,
    applyGraceMs: deps.config.outcomes.applyGraceMs,
  });
  const outcomes = new OutcomeApplier(sendResults, deliveries, tickets, messageStore, outbox, {
    logger: deps.logger,
    expoReceiptDelayMs: deps.config.expoReceipts.delayMs,
    lastUsedIntervalMs: deps.config.outcomes.lastUsedIntervalMs,
    observer: { event: deps.metrics.onRegistryEvent, messageStatus: deps.metrics.onMessageStatus },
  });
  const receipts = new ExpoReceiptChecker(tickets, deliveries, sendResults, receiptSources(deps.providers, credentials, providerClients), {
    ...deps.config.expoReceipts,
    guard: deps.config.invalidationGuard,
    logger: deps.logger,
    observer: deps.metrics.receiptObserver,
    apply: outcomes.apply,
    applyGraceMs: deps.config.outcomes.applyGraceMs,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const outcomeQueue = new OutcomeQueue(sendResults, outcomes, { intervalMs: OUTCOME_INTERVAL_MS, leaseMs: OUTCOME_CLAIM_MS, logger: deps.logger, ...(deps.now ? { now: deps.now } : {}) });
  const scheduledSends = new ScheduledSends(db);
  deps.metrics.watchDelayedMessages(() => scheduledSends.pending());
  const channels = new ChannelService(new ChannelStore(db, deps.config.workspaceLimits.liveActivityChannels), credentials, providerClients, clock);
  const channelSender = new ChannelSender(channels, sender.pending, { retry: deps.config.retry, logger: deps.logger, applyGraceMs: deps.config.outcomes.applyGraceMs, ...(deps.now ? { now: deps.now } : {}) });
  const messages = new MessageService(messageStore, sender, outcomes.apply, scheduledSends, { channels: { find: (workspaceId, channelId) => channels.resolve(workspaceId, channelId), sender: channelSender }, onStatus: deps.metrics.onMessageStatus, retentionMs: deps.config.messages.retentionMs, maxPendingDelayed: deps.config.messages.maxPendingDelayed, publicUrl: deps.config.messages.publicUrl, liveActivities: new LiveActivityStore(db, model), ...(deps.now ? { now: deps.now } : {}) });
  const scheduler = new MessageScheduler(messageStore, scheduledSends, messages, { intervalMs: deps.config.messages.schedulerIntervalMs, claimMs: deps.config.messages.schedulerLeaseMs, logger: deps.logger, ...(deps.now ? { now: deps.now } : {}) });
  const lists = new ListStore(db, { maxLists: deps.config.workspaceLimits.lists, maxSubscribers: deps.config.workspaceLimits.listSubscribers });
  const audiences = new AudienceStore(db, model, deps.config.workspaceLimits.audiences);
  const broadcastStore = new BroadcastStore(db);
  const broadcast = deps.config.broadcast;
  const chunker = new Chunker(model, lists, broadcast.chunkSize);
  const chunkSender = new ChunkSender(broadcastStore, chunker, sender, sendResults, outcomes.apply, new RateBudget(db, broadcast.rates), {
    logger: deps.logger,
    leaseMs: broadcast.leaseMs,
    now: clock,
    trackingUrl: (message, tokenId) => messages.trackingUrlFor(message, tokenId),
    message: (id) => messageStore.collection.findOne({ _id: id }, { projection: { _id: 1, tracking_key: 1 } }),
  });
  const broadcasts = new BroadcastService(broadcastStore, messages, lists, audiences, { retentionMs: deps.config.messages.retentionMs, maxActive: broadcast.maxActive, now: clock });
  const broadcastWorker = new BroadcastWorker(broadcastStore, chunker, chunkSender, messageStore, lists, { intervalMs: broadcast.intervalMs, leaseMs: broadcast.leaseMs, concurrency: broadcast.concurrency, maxLists: deps.config.workspaceLimits.lists, logger: deps.logger, ...(deps.now ? { now: deps.now } : {}) });
  deps.metrics.watchWebhookOutbox(() => outbox.pending());
  const dispatcher = new WebhookDispatcher(outbox, webhookEndpoints, { ...deps.config.webhooks, logger: deps.logger, observer: deps.metrics.webhookObserver, ...(deps.now ? { now: deps.now } : {}) });
  return {
    outcomes,
    outcomeQueue,
    sendResults,
    providerClients,
    receipts,
    webhookEndpoints,
    outbox,
    dispatcher,
    messages,
    messageStore,
    scheduler,
    idempotency: new IdempotencyStore(db, deps.config.messages.idempotencyTtlMs),
    lists,
    audiences,
    broadcasts,
    broadcastStore,
    broadcastWorker,
    channels,
    start: () => {
      broadcastWorker.start();
      outcomeQueue.start();
      receipts.start();
      scheduler.start();
      dispatcher.start();
    },
    stop: async () => {
      await broadcastWorker.stop();
      await scheduler.stop();
      await sender.pending.stop();
      await outcomeQueue.stop();
      await dispatcher.stop();
      await receipts.stop();
      await providerClients.close();
    },
    stats: new TokenStatsService(model, { cacheMs: STATS_CACHE_MS, messages: messageStore, ...(deps.now ? { now: deps.now } : {}) }),
    registry: new TokenRegistry(model, { defaultTtl: deps.config.defaultTokenTtl, budget, onEvent, invalidations: patchInvalidations(sendResults, outcomes, deps.config.outcomes.applyGraceMs), endpoints: deps.config.delivery.webpush.endpoints }),
    credentials,
    webPushKeys: new WebPushPublicKeys(credentials, deps.config.webpushVapid?.publicKey),
    devices: new DeviceRegistry(model, { defaultTtl: deps.config.defaultTokenTtl, budget, onEvent, endpoints: deps.config.delivery.webpush.endpoints }),
    sender,
    clock,
    health: {
      database: () => pingDatabase(db),
      providers: () => deps.providers.ready(),
      draining: deps.draining,
    },
  };
}

async function pingDatabase(db: Database['db']): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS);
  });
  const ping = db
    .admin()
    .command({ ping: 1 })
    .then(() => true)
    .catch(() => false);
  return Promise.race([ping, timeout]).finally(() => clearTimeout(timer));
}

/** The client that sent a ticket reads its receipt: the app credential's (its access token), or the instance-wide one. */
function receiptSources(providers: ProviderRegistry, credentials: CredentialStore, clients: ProviderClients): ReceiptSources {
  return async (workspaceId, credentialId) => {
    if (credentialId === null) {
      const expo = providers.get('expo') as ExpoProvider | undefined;
      return expo ? { source: expo, release: () => undefined } : { problem: 'Expo is turned off (EXPO_ENABLED=false)' };
    }
    const credential = (await credentials.credentialsById(workspaceId, [credentialId])).get(credentialId);
    if (!credential) return { problem: `credential ${credentialId} no longer exists` };
    const handle = await clients.acquire(workspaceId, credentialId, credential.identity, 'expo');
    return { source: handle.client as ExpoProvider, release: handle.release };
  };
}
