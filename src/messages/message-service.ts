import { randomUUID } from 'node:crypto';
import { RateLimitedError, UnprocessableError } from '../errors';
import { maskSecret } from '../logger';
import type { Notification } from '../providers/provider';
import type { SendableToken } from '../sender/delivery-store';
import type { NotificationSender } from '../sender/notification-sender';
import type { ResultApplier } from '../sender/send-result';
import { sendReport, type SendReport } from '../sender/send-report';
import type { HistoryEvent, MessageDocument } from './message-document';
import type { ScheduledSendDocument, ScheduledSends } from './scheduled-sends';
import type { MessageStatus } from './message-status';
import type { MessageStore } from './message-store';
import { newTrackingKey, trackingUrl } from './tracking';
import { liveActivityTarget, type LiveActivityStore } from '../tokens/live-activity-store';
import type { ChannelDocument } from '../channels/channel-store';
import type { ChannelSender } from '../sender/channel-send';

/** A user, a named token, or (for a Live Activity update or end) an activity's update tokens or a broadcast channel. */
export type Recipient = { user_id: string } | { token: string } | { activity_id: string } | { channel_id: string };
/** A broadcast's one message is for a list, a pattern of lists, or an audience (src/broadcast sends it). */
export type BroadcastRecipient = { list_id: string } | { list_pattern: string } | { audience_id: string };
export type MessageRequest = {
  recipients: Recipient[];
  notification: Notification;
  /** message.push.tracking: false turns the trackingUrl off for this send. */
  tracking: boolean;
  /** A delayed send: when it is due (already checked against MAX_DELAY). */
  deliverAt?: Date;
  /** The send's requestId, when the caller chose it (an Idempotency-Key's record holds it). */
  requestId?: string;
};
export type MessageOptions = {
  retentionMs: number;
  /** Told each status a message reaches here (metrics); a send's outcomes are told by whoever applies them (src/outcomes). */
  onStatus?: (status: MessageStatus, count: number) => void;
  /** MAX_PENDING_DELAYED: delayed messages one workspace may have waiting. */
  maxPendingDelayed: number;
  /** PUBLIC_URL: where devices reach /t/…; without it no push carries a trackingUrl. */
  publicUrl: URL | undefined;
  /** Live Activities (tokens/live-activity-store.ts): an update older than the last is refused, an end retires the activity's tokens. */
  liveActivities?: LiveActivityStore;
  /** iOS 18 broadcast channels (src/channels): where a send to {channel_id} goes, and its publisher. */
  channels?: { find: (workspaceId: string, channelId: string) => Promise<ChannelDocument>; sender: Pick<ChannelSender, 'publish'> };
  now?: () => Date;
};

/** A message and whom it is for (an immediate send's token recipient is kept whole only in memory; the record masks it). */
type Addressed = { message: MessageDocument; target: Recipient };

/**
 * What POST /send answers: the send's report (200), or a delayed send's requestId (202).
 * `tokenIds`: each result's token _id (null for a named token not registered), for keeping the
 * answer with hints only.
 */
export type SendAnswer = { status: 200; report: SendReport; tokenIds: (string | null)[] } | { status: 202; requestId: string };

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
    /** Applies a send result's effects, the message log's outcome among them (src/outcomes). */
    private readonly apply: ResultApplier,
    private readonly scheduled: ScheduledSends,
    private readonly options: MessageOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  get trackingEnabled(): boolean {
    return this.options.publicUrl !== undefined;
  }

  /** Throws only before anything was sent: from dispatch on, the answer is the send's result. */
  async send(workspaceId: string, request: MessageRequest): Promise<SendAnswer> {
    const requestId = request.requestId ?? randomUUID();
    const now = this.now();
    const ids = request.recipients.length === 1 ? [requestId] : request.recipients.map(() => randomUUID());
    const tracking = request.tracking && this.trackingEnabled;
    const addressed: Addressed[] = request.recipients.map((target, i) => ({ target, message: this.newMessage(workspaceId, requestId, ids[i]!, target, now, request.deliverAt, tracking) }));
    const messages = addressed.map(({ message }) => message);
    // A channel that is not this workspace's is a 404 before anything is written, delayed or not.
    const channel = await this.channelOf(workspaceId, request.recipients);
    if (request.deliverAt) {
      const deliverAt = request.deliverAt;
      this.options.onStatus?.('DELAYED', messages.length);
      // The rows first (scheduled-sends.ts): a request that dies after them leaves rows the scheduler drops.
      await this.refuseOverPendingBound(workspaceId, messages.length);
      await this.scheduled.insert(
        { id: requestId, workspaceId, notification: request.notification, createdAt: now, dueAt: deliverAt },
        addressed.map(({ message, target }) => ({ _id: message._id, workspace_id: workspaceId, target, tracking, created_at: now, due_at: deliverAt })),
      );
      await this.store.insert(messages);
      return { status: 202, requestId };
    }
    await this.checkLiveActivity(workspaceId, request.recipients, request.notification, now);
    // The messages first: a send whose log could not be written never goes out (and its key is released).
    await this.store.insert(messages);
    if (channel) return { status: 200, ...(await this.publish(channel, addressed[0]!.message, request.notification, requestId)) };
    return { status: 200, ...(await this.sendNow(workspaceId, addressed, request.notification, requestId)) };
  }

  private async channelOf(workspaceId: string, recipients: readonly Recipient[]): Promise<ChannelDocument | undefined> {
    const named = recipients.find((r): r is { channel_id: string } => 'channel_id' in r);
    if (!named) return undefined;
    if (!this.options.channels) throw new UnprocessableError('Broadcast channels are not available on this instance');
    return this.options.channels.find(workspaceId, named.channel_id);
  }

  /** A Live Activity event to a broadcast channel: one publish, its result applied as a send's (sender/channel-send.ts). */
  private async publish(channel: ChannelDocument, message: MessageDocument, notification: Notification, requestId: string): Promise<{ report: SendReport; tokenIds: (string | null)[] }> {
    const { result, written } = await this.options.channels!.sender.publish(channel, notification, { requestId, messageId: message._id });
    return { report: sendReport(result, written ? await this.apply(result) : { applied: false }), tokenIds: [null] };
  }

  /**
   * A Live Activity update or end: refused (409) when its activity already had a later event,
   * and an end retires the activity's update tokens at its dismissal date. Before anything is
   * written, so a refused update leaves nothing behind.
   */
  private async checkLiveActivity(workspaceId: string, recipients: readonly Recipient[], notification: Notification, now: Date): Promise<void> {
    const activity = notification.liveActivity;
    if (!activity || activity.event === 'start' || !this.options.liveActivities) return;
    const channel = recipients.find((r): r is { channel_id: string } => 'channel_id' in r);
    // A channel's events are ordered as an activity's are; it has no update tokens to retire.
    if (channel) return this.options.liveActivities.advance(workspaceId, `channel:${channel.channel_id}`, activity.timestamp, now);
    const activityId = activityOf(recipients, notification);
    if (activityId === undefined) return;
    await this.options.liveActivities.advance(workspaceId, activityId, activity.timestamp, now);
    if (activity.event === 'end') await this.options.liveActivities.retire(workspaceId, activityId, activity.dismissalDate, now);
  }

  /**
   * MAX_PENDING_DELAYED: a workspace's delayed messages waiting, with this request's, may not pass
   * it. Checked before the request's rows are written, so requests racing each other may pass it
   * by at most their own recipients.
   */
  private async refuseOverPendingBound(workspaceId: string, adding: number): Promise<void> {
    const max = this.options.maxPendingDelayed;
    const pending = await this.scheduled.pendingIn(workspaceId, max + 1);
    if (pending + adding > max) {
      throw new RateLimitedError(`This workspace has ${pending >= max ? `${max} or more` : pending} delayed messages waiting; ${adding} more would pass MAX_PENDING_DELAYED (${max}). Cancel some, or wait until they are sent.`);
    }
  }

  /** A due delayed message (the scheduler has started it): sent alone, its tokens resolved now. */
  async sendScheduled(message: MessageDocument, { target }: Pick<ScheduledSendDocument, 'target'>, notification: Notification): Promise<SendReport> {
    const channel = await this.channelOf(message.workspace_id, [target]);
    if (channel) return (await this.publish(channel, message, notification, message._id)).report;
    return (await this.sendNow(message.workspace_id, [{ message, target }], notification, message._id)).report;
  }

  /**
   * A broadcast's one message (src/broadcast sends it): ENQUEUED, or DELAYED until `deliverAt`.
   * Throws only before anything is written.
   */
  async recordBroadcast(workspaceId: string, request: { requestId: string; recipient: BroadcastRecipient; tracking: boolean; deliverAt?: Date }): Promise<MessageDocument> {
    const now = this.now();
    const [type, recipient] = Object.entries(request.recipient)[0] as [MessageDocument['recipient_type'], string];
    const message = { ...this.newMessage(workspaceId, request.requestId, request.requestId, { user_id: recipient }, now, request.deliverAt, request.tracking && this.trackingEnabled), recipient_type: type };
    this.options.onStatus?.(request.deliverAt ? 'DELAYED' : 'ENQUEUED', 1);
    await this.store.insert([message]);
    return message;
  }

  /** The trackingUrl a broadcast's token carries, when tracking is on for it. */
  trackingUrlFor(message: Pick<MessageDocument, '_id' | 'tracking_key'>, tokenId: string): string | undefined {
    const publicUrl = this.options.publicUrl;
    return publicUrl && message.tracking_key ? trackingUrl(publicUrl, message.tracking_key, message._id, tokenId) : undefined;
  }

  /** Whether a send's result exists (its pushes went out; the outcomes queue applies it). */
  dispatched(requestId: string): Promise<boolean> {
    return this.sender.hasResult(requestId);
  }

  /** Whether a send of this requestId got as far as writing its messages (which it does before dispatch). */
  async requested(workspaceId: string, requestId: string): Promise<boolean> {
    return this.store.requested(workspaceId, requestId);
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

  /**
   * Dispatch writes the send result (sender/send-result.ts); its effects, the messages' outcomes
   * among them, are applied before the answer, so a read right after a send sees them. Effects
   * that could not be applied now are applied by the outcomes queue, and the answer says so.
   */
  private async sendNow(workspaceId: string, recipients: Addressed[], notification: Notification, requestId: string): Promise<{ report: SendReport; tokenIds: (string | null)[] }> {
    const byUser = new Map<string, MessageDocument>();
    const byToken = new Map<string, MessageDocument>();
    let byActivity: MessageDocument | undefined;
    for (const { message, target } of recipients) {
      if ('user_id' in target && !byUser.has(target.user_id)) byUser.set(target.user_id, message);
      if ('token' in target && !byToken.has(target.token)) byToken.set(target.token, message);
      if ('activity_id' in target) byActivity ??= message;
    }
    const messageOf = (t: { token: string; user_id: string | null }) => byToken.get(t.token) ?? (t.user_id !== null ? byUser.get(t.user_id) : undefined) ?? byActivity;
    const publicUrl = this.options.publicUrl;
    const activity = notification.liveActivity;
    // A Live Activity event goes to Live Activity tokens only (tokens/live-activity-store.ts); any other send to a device's ordinary tokens.
    const target = activity
      ? { where: liveActivityTarget(activity.event, { attributesType: activity.attributesType, activityId: activityOf(recipients.map((r) => r.target), notification), userIds: [...byUser.keys()] }, this.now()) }
      : { userIds: [...byUser.keys()], tokens: [...byToken.keys()] };
    const { result, written } = await this.sender.send(
      workspaceId,
      target,
      notification,
      {
        requestId,
        messageFor: (t) => messageOf(t)?._id,
        messages: recipients.map(({ message, target }) => ({ id: message._id, ...target })),
        ...(publicUrl
          ? {
              dataFor: (t: SendableToken) => {
                const message = messageOf(t);
                if (!message?.tracking_key) return undefined;
                return { trackingUrl: trackingUrl(publicUrl, message.tracking_key, message._id, t._id.toHexString()) };
              },
            }
          : {}),
      },
    );
    return { report: sendReport(result, written ? await this.apply(result) : { applied: false }), tokenIds: result.tokens.map((t) => t.token_id) };
  }

  private newMessage(workspaceId: string, requestId: string, id: string, recipient: Recipient, now: Date, deliverAt: Date | undefined, tracking: boolean): MessageDocument {
    const history: HistoryEvent[] = [{ ts: now, type: 'ENQUEUED' }];
    if (deliverAt) history.push({ ts: now, type: 'DELAYED', until: deliverAt.getTime() });
    const message: MessageDocument = {
      _id: id,
      workspace_id: workspaceId,
      request_id: requestId,
      ...recipientOf(recipient),
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
}

/** How the message log names a recipient: a token only by its hint. */
function recipientOf(recipient: Recipient): Pick<MessageDocument, 'recipient' | 'recipient_type'> {
  if ('user_id' in recipient) return { recipient: recipient.user_id, recipient_type: 'user' };
  if ('activity_id' in recipient) return { recipient: recipient.activity_id, recipient_type: 'activity_id' };
  if ('channel_id' in recipient) return { recipient: recipient.channel_id, recipient_type: 'channel_id' };
  return { recipient: maskSecret(recipient.token), recipient_type: 'token' };
}

/** The activity a Live Activity update or end is for: its `to: {activity_id}`, or `live_activity.activity_id`. */
function activityOf(recipients: readonly Recipient[], notification: Notification): string | undefined {
  for (const r of recipients) if ('activity_id' in r) return r.activity_id;
  return notification.liveActivity?.activityId;
}
