import { RateLimitedError } from '../errors';
import type { AudienceStore } from '../audiences/audience-store';
import type { ListStore } from '../audiences/list-store';
import type { BroadcastRecipient, MessageService } from '../messages/message-service';
import type { MessageDocument } from '../messages/message-document';
import type { Notification } from '../providers/provider';
import type { BroadcastTarget, FailureDocument } from './broadcast-document';
import type { BroadcastStore, Progress } from './broadcast-store';

export type BroadcastRequest = { requestId: string; recipient: BroadcastRecipient; notification: Notification; tracking: boolean; deliverAt?: Date };
export type BroadcastOptions = {
  /** MESSAGE_RETENTION: a broadcast's chunks and failures go with its message. */
  retentionMs: number;
  /** MAX_ACTIVE_BROADCASTS: broadcasts one workspace may have delayed or running at once. */
  maxActive: number;
  now: () => Date;
};

/**
 * POST /send to a list, a list pattern or an audience (docs/api.md): one message, answered at
 * once (202), sent in the background by every replica's BroadcastWorker. Also its progress,
 * its failures, and cancel.
 */
export class BroadcastService {
  constructor(
    private readonly store: BroadcastStore,
    private readonly messages: MessageService,
    private readonly lists: ListStore,
    private readonly audiences: AudienceStore,
    private readonly options: BroadcastOptions,
  ) {}

  /** Throws only before anything is written (an unknown list or audience is a 404, too many running a 429). */
  async start(workspaceId: string, request: BroadcastRequest): Promise<{ requestId: string }> {
    const now = this.options.now();
    const target = await this.target(workspaceId, request.recipient);
    const active = await this.store.broadcasts.countDocuments({ workspace_id: workspaceId, status: { $ne: 'done' } }, { limit: this.options.maxActive });
    if (active >= this.options.maxActive) {
      throw new RateLimitedError(`This workspace has ${this.options.maxActive} broadcasts delayed or running, the most it may have (MAX_ACTIVE_BROADCASTS); wait for one to finish, or cancel one`);
    }
    await this.messages.recordBroadcast(workspaceId, { requestId: request.requestId, recipient: request.recipient, tracking: request.tracking, ...(request.deliverAt ? { deliverAt: request.deliverAt } : {}) });
    const startAt = request.deliverAt ?? now;
    await this.store.create({
      _id: request.requestId,
      workspace_id: workspaceId,
      target,
      notification: request.notification,
      tracking: request.tracking,
      status: 'planning',
      plan_due_at: startAt,
      chunks: 0,
      planned: false,
      created_at: now,
      expires_at: new Date(startAt.getTime() + this.options.retentionMs),
    });
    return { requestId: request.requestId };
  }

  /** What the broadcast reaches: a live list, a pattern, or an audience's filter as it is now. */
  private async target(workspaceId: string, recipient: BroadcastRecipient): Promise<BroadcastTarget> {
    if ('list_id' in recipient) {
      await this.lists.get(workspaceId, recipient.list_id);
      return { list_id: recipient.list_id };
    }
    if ('list_pattern' in recipient) return { list_pattern: recipient.list_pattern };
    const audience = await this.audiences.get(workspaceId, recipient.audience_id);
    return { audience_id: audience.audience_id, filter: audience.filter, operator: audience.operator };
  }

  /**
   * The live progress of a broadcast message, as read with the message; null for any other
   * message. A message that has its outcome is not running, even in the moment between its
   * outcome's write and the broadcast's own `done` (broadcast-worker.ts writes them in that
   * order, so that a crash between them is finished again, never lost).
   */
  async progress(workspaceId: string, message: Pick<MessageDocument, '_id' | 'status'>): Promise<Progress | null> {
    const broadcast = await this.store.get(workspaceId, message._id);
    if (!broadcast) return null;
    const progress = await this.store.progress(broadcast);
    const finished = message.status !== 'ENQUEUED' && message.status !== 'DELAYED';
    return finished ? { ...progress, running: false } : progress;
  }

  /**
   * Stops a broadcast: a delayed one is CANCELED at once; a running one dispatches no chunk
   * after this, and its message becomes CANCELED when the chunks in flight end. Answers null
   * for a message that is not a broadcast, else whether this call canceled it, and the progress.
   */
  async cancel(workspaceId: string, id: string): Promise<{ canceled: boolean; progress: Progress } | null> {
    const broadcast = await this.store.get(workspaceId, id);
    if (!broadcast) return null;
    const delayed = await this.messages.cancel(workspaceId, id);
    const canceled = (await this.store.cancel(workspaceId, id, this.options.now())) || delayed.canceled;
    if (delayed.canceled) await this.store.broadcasts.updateOne({ _id: id }, { $set: { status: 'done', planned: true, finished_at: this.options.now() }, $unset: { plan_due_at: '' } });
    return { canceled, progress: await this.store.progress((await this.store.get(workspaceId, id)) ?? broadcast) };
  }

  /** A page of the broadcast's failed tokens; null for a message that is not a broadcast. */
  async failures(workspaceId: string, id: string, limit: number, after: string | undefined): Promise<FailureDocument[] | null> {
    const broadcast = await this.store.get(workspaceId, id);
    if (!broadcast) return null;
    return this.store.failurePage(id, limit, after);
  }
}
