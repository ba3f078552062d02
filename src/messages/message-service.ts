import { randomUUID } from 'node:crypto';
import { maskSecret } from '../logger';
import type { Notification } from '../providers/provider';
import type { ReasonCode } from '../providers/reason';
import type { SendableToken } from '../sender/delivery-store';
import type { NotificationSender, SendReport, TokenRecord } from '../sender/notification-sender';
import { MAX_TOKEN_ENTRIES, type HistoryEvent, type MessageDocument, type ProviderCounts, type TokenEntry } from './message-document';
import type { ScheduledSendDocument, ScheduledSends } from './scheduled-sends';
import { sendStatus, type MessageStatus } from './message-status';
import type { MessageStore, SendWrite } from './message-store';
import { newTrackingKey, trackingId } from './tracking';

export type Recipient = { user_id: string } | { token: string };
export type MessageRequest = {
  recipients: Recipient[];
  notification: Notification;
  /** message.push.tracking: false turns the trackingUrl off for this send. */
  tracking: boolean;
  /** A delayed send: when it is due (already checked against MAX_DELAY). */
  deliverAt?: Date;
};
export type MessageOptions = {
  retentionMs: number;
  /** Told each status a message reaches here (metrics). */
  onStatus?: (status: MessageStatus, count: number) => void;
  /** PUBLIC_URL: where devices reach /t/…; without it no push carries a trackingUrl. */
  publicUrl: URL | undefined;
  now?: () => Date;
};

/** A message and whom it is for (an immediate send's token recipient is kept whole only in memory; the record masks it). */
type Addressed = { message: MessageDocument; target: Recipient };

/** What POST /send answers: the send's report (200), or a delayed send's requestId (202). */
export type SendAnswer = { status: 200; report: SendReport } | { status: 202; requestId: string };

/** The routing codes: a token with one was never handed to a provider (UNROUTABLE, NO_PROVIDERS). */
const UNROUTED: ReadonlySet<ReasonCode> = new Set<ReasonCode>(['no_adapter', 'no_credentials', 'credential_missing', 'credential_unusable']);

/**
 * The message log around the sender: every POST /send makes one message per recipient, sent
 * now (ENQUEUED, then the send's outcome) or when due (DELAYED; the scheduler sends it). One
 * recipient's message id is the send's requestId, as in Courier.
 */
export class MessageService {
  private readonly now: () => Date;

  constructor(
    private readonly store: MessageStore,
    private readonly sender: NotificationSender,
    private readonly scheduled: ScheduledSends,
    private readonly options: MessageOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  get trackingEnabled(): boolean {
    return this.options.publicUrl !== undefined;
  }

  async send(workspaceId: string, request: MessageRequest): Promise<SendAnswer> {
    const requestId = randomUUID();
    const now = this.now();
    const ids = request.recipients.length === 1 ? [requestId] : request.recipients.map(() => randomUUID());
    const tracking = request.tracking && this.trackingEnabled;
    const addressed: Addressed[] = request.recipients.map((target, i) => ({ target, message: this.newMessage(workspaceId, requestId, ids[i]!, target, now, request.deliverAt, tracking) }));
    const messages = addressed.map(({ message }) => message);
    if (request.deliverAt) {
      const deliverAt = request.deliverAt;
      this.options.onStatus?.('DELAYED', messages.length);
      // The rows first (scheduled-sends.ts): a request that dies after them leaves rows the scheduler drops.
      await this.scheduled.insert(addressed.map(({ message, target }) => ({ _id: message._id, workspace_id: workspaceId, target, notification: request.notification, tracking, created_at: now, due_at: deliverAt })));
      await this.store.insert(messages);
      return { status: 202, requestId };
    }
    // The record and the send start together: the push does not wait on the log's first write.
    const inserted = this.store.insert(messages);
    const [, report] = await Promise.all([inserted, this.sendNow(workspaceId, addressed, request.notification, requestId, inserted)]);
    return { status: 200, report };
  }

  /** A due delayed message (the scheduler has started it): sent alone, its tokens resolved now. */
  async sendScheduled(message: MessageDocument, { target, notification }: Pick<ScheduledSendDocument, 'target' | 'notification'>): Promise<void> {
    await this.sendNow(message.workspace_id, [{ message, target }], notification, message._id, Promise.resolve());
  }

  /**
   * The outcomes go onto the messages as soon as the providers have answered, while the sender
   * writes the tokens (SendRequestOptions.onDispatched); the invalidations that landed follow
   * as TOKEN_INVALIDATED events once those writes are done.
   */
  private async record(workspaceId: string, recipients: Addressed[], records: readonly TokenRecord[], inserted: Promise<void>): Promise<void> {
    const writes = recipients.map(({ message, target }) => ({ id: message._id, workspaceId, write: this.outcome(target, records) }));
    await inserted;
    await this.store.finish(writes);
    const counts = new Map<MessageStatus, number>();
    for (const { write } of writes) counts.set(write.status, (counts.get(write.status) ?? 0) + 1);
    for (const [status, count] of counts) this.options.onStatus?.(status, count);
  }

  private async recordInvalidations(recipients: Addressed[], records: readonly TokenRecord[]): Promise<void> {
    const now = this.now();
    const events = recipients.flatMap(({ message, target }) => {
      const landed = this.mine(target, records).filter((r) => r.invalidated);
      return landed.length === 0
        ? []
        : [{ id: message._id, events: landed.map((r): HistoryEvent => ({ ts: now, type: 'TOKEN_INVALIDATED', token_id: r.tokenId, provider_key: r.provider, app_id: r.appId, token_hint: maskSecret(r.token), reason: r.code })) }];
    });
    await this.store.addEvents(events);
  }

  /** Courier's cancel: DELAYED → CANCELED, and the scheduler's row goes. `canceled` false: too late (or already canceled). */
  async cancel(workspaceId: string, id: string): Promise<{ canceled: boolean; message: MessageDocument | null }> {
    const result = await this.store.cancel(workspaceId, id, this.now());
    if (result.canceled) {
      this.options.onStatus?.('CANCELED', 1);
      await this.scheduled.remove(id);
    }
    return result;
  }

  private async sendNow(workspaceId: string, recipients: Addressed[], notification: Notification, requestId: string, inserted: Promise<void>): Promise<SendReport> {
    const byUser = new Map<string, MessageDocument>();
    const byToken = new Map<string, MessageDocument>();
    for (const { message, target } of recipients) {
      if ('user_id' in target && !byUser.has(target.user_id)) byUser.set(target.user_id, message);
      if ('token' in target && !byToken.has(target.token)) byToken.set(target.token, message);
    }
    const messageOf = (t: SendableToken) => byToken.get(t.token) ?? byUser.get(t.user_id);
    const publicUrl = this.options.publicUrl;
    const report = await this.sender.send(
      workspaceId,
      { userIds: [...byUser.keys()], tokens: [...byToken.keys()] },
      notification,
      {
        requestId,
        messageFor: (t) => messageOf(t)?._id,
        onDispatched: (records) => this.record(workspaceId, recipients, records, inserted),
        ...(publicUrl
          ? {
              dataFor: (t: SendableToken) => {
                const message = messageOf(t);
                if (!message?.tracking_key) return undefined;
                return { trackingUrl: new URL(`t/${trackingId(message.tracking_key, message._id, t._id.toHexString())}`, withSlash(publicUrl)).toString() };
              },
            }
          : {}),
      },
    );
    await this.recordInvalidations(recipients, report.records);
    return report;
  }

  private newMessage(workspaceId: string, requestId: string, id: string, recipient: Recipient, now: Date, deliverAt: Date | undefined, tracking: boolean): MessageDocument {
    const history: HistoryEvent[] = [{ ts: now, type: 'ENQUEUED' }];
    if (deliverAt) history.push({ ts: now, type: 'DELAYED', until: deliverAt.getTime() });
    const message: MessageDocument = {
      _id: id,
      workspace_id: workspaceId,
      request_id: requestId,
      recipient: 'user_id' in recipient ? recipient.user_id : maskSecret(recipient.token),
      recipient_type: 'user_id' in recipient ? 'user' : 'token',
      status: deliverAt ? 'DELAYED' : 'ENQUEUED',
      reason: null,
      error: null,
      enqueued: now,
      provider_keys: [],
      providers: [],
      tokens: [],
      history,
      ...(tracking ? { tracking_key: newTrackingKey() } : {}),
      ...(deliverAt ? { deliver_at: deliverAt } : {}),
      expires_at: new Date(now.getTime() + this.options.retentionMs),
    };
    return message;
  }

  /** One message's share of a send: its tokens' records, its status, and the history they make. */
  /** A recipient's share of a send's records: its named token, or its user's tokens. */
  private mine(target: Recipient, records: readonly TokenRecord[]): TokenRecord[] {
    return records.filter((r) => ('token' in target ? r.token === target.token : r.outcome !== 'skipped' && r.userId === target.user_id));
  }

  private outcome(target: Recipient, records: readonly TokenRecord[]): SendWrite {
    const mine = this.mine(target, records);
    const now = this.now();
    const { status, reason } = sendStatus(mine.map((r) => ({ outcome: r.outcome, routed: r.code === null || !UNROUTED.has(r.code) })));
    const providers = new Map<string, ProviderCounts>();
    for (const r of mine) {
      if (r.provider === null || r.outcome === 'skipped') continue;
      const counts = providers.get(r.provider) ?? { provider: r.provider, delivered: 0, invalid: 0, rejected: 0, retryable: 0 };
      counts[r.outcome]++;
      providers.set(r.provider, counts);
    }
    const tokens: TokenEntry[] = mine.slice(0, MAX_TOKEN_ENTRIES).map((r) => ({
      token_id: r.tokenId,
      provider_key: r.provider,
      token_hint: maskSecret(r.token),
      outcome: r.outcome,
      reason: r.reason,
      ...(r.providerId !== undefined ? { provider_id: r.providerId } : {}),
      attempts: r.attempts,
      app_id: r.appId,
    }));
    const omitted: Partial<Record<TokenRecord['outcome'], number>> = {};
    for (const r of mine.slice(MAX_TOKEN_ENTRIES)) omitted[r.outcome] = (omitted[r.outcome] ?? 0) + 1;

    const events: HistoryEvent[] = [];
    for (const counts of providers.values()) if (counts.delivered > 0) events.push({ ts: now, type: 'SENT', integration: { provider: counts.provider }, delivered: counts.delivered });
    const error = status === 'SENT' ? null : mostCommon(mine.map((r) => r.reason ?? r.outcome)) ?? 'the recipient has no sendable token';
    if (status !== 'SENT') events.push({ ts: now, type: status, reason, error });
    return {
      status,
      reason,
      error,
      provider_keys: [...providers.keys()],
      providers: [...providers.values()],
      tokens,
      ...(Object.keys(omitted).length > 0 ? { tokens_omitted: omitted } : {}),
      ...(status === 'SENT' ? { sent: now } : {}),
      events,
    };
  }
}

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** new URL('t/x', base) keeps base's path only when it ends in a slash. */
function withSlash(url: URL): string {
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}
