import type { Collection, Db } from 'mongodb';
import type { Notification } from '../providers/provider';
import { LeasedQueue, type Claimed } from '../queue/leased-queue';

/**
 * The `scheduled_sends` collection (docs/storage.md): one row per delayed message not yet sent
 * or canceled, saying to whom (tokens are resolved when it is due) and which request's
 * notification to send. The notification is stored once per request, in
 * `scheduled_requests`, not once per recipient (a 100-recipient request copied it 100 times).
 * Apart from `messages` so that the scheduler's every-second look for due work reads only what
 * is pending, never the whole log. The request and its rows are written **before** the
 * messages: a request that dies in between leaves rows without messages, which the scheduler
 * drops; the other order would leave messages DELAYED for ever.
 */
export type ScheduledSendDocument = {
  /** The message id. */
  _id: string;
  workspace_id: string;
  target: { user_id: string } | { token: string } | { activity_id: string } | { channel_id: string };
  /** The request whose notification this row sends (scheduled_requests). */
  request_id?: string;
  /** Rows written before the notification moved to scheduled_requests carry it themselves. */
  notification?: Notification;
  tracking: boolean;
  created_at: Date;
  /** When the scheduler next takes it: the delay's end, or a claim's lease end (queue/leased-queue.ts). */
  due_at: Date;
  claim?: string;
  attempts?: number;
  last_error?: string;
};
export type ClaimedSend = Claimed<ScheduledSendDocument>;

/** One delayed request's notification, shared by its rows; deleted by TTL once every row must have been sent. */
export type ScheduledRequestDocument = { _id: string; workspace_id: string; notification: Notification; created_at: Date; expires_at: Date };

const COLLECTION = 'scheduled_sends';
const REQUESTS = 'scheduled_requests';
/** A request's notification outlives its due time by this much: its rows' retries and back-off are over long before. */
const REQUEST_KEPT_AFTER_DUE_MS = 2 * 86_400_000;

export async function ensureScheduledSendIndexes(db: Db): Promise<void> {
  await db.collection(COLLECTION).createIndex({ due_at: 1 }, { name: 'due' });
  await db.collection(COLLECTION).createIndex({ workspace_id: 1 }, { name: 'workspace' });
  await db.collection(REQUESTS).createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
}

export class ScheduledSends {
  readonly collection: Collection<ScheduledSendDocument>;
  readonly queue: LeasedQueue<ScheduledSendDocument>;

  private readonly requests: Collection<ScheduledRequestDocument>;

  constructor(db: Db) {
    this.collection = db.collection<ScheduledSendDocument>(COLLECTION);
    this.requests = db.collection<ScheduledRequestDocument>(REQUESTS);
    this.queue = new LeasedQueue(this.collection, 'due_at');
  }

  /** One request: its notification once, then a row per recipient. */
  async insert(request: { id: string; workspaceId: string; notification: Notification; createdAt: Date; dueAt: Date }, rows: Omit<ScheduledSendDocument, 'request_id' | 'notification'>[]): Promise<void> {
    await this.requests.insertOne({ _id: request.id, workspace_id: request.workspaceId, notification: request.notification, created_at: request.createdAt, expires_at: new Date(request.dueAt.getTime() + REQUEST_KEPT_AFTER_DUE_MS) });
    if (rows.length > 0) await this.collection.insertMany(rows.map((row) => ({ ...row, request_id: request.id })), { ordered: false });
  }

  /** What a row sends: its request's notification (or its own, for a row of an earlier version); undefined when that is gone. */
  async notificationOf(row: Pick<ScheduledSendDocument, 'request_id' | 'notification'>): Promise<Notification | undefined> {
    if (row.notification) return row.notification;
    if (!row.request_id) return undefined;
    return (await this.requests.findOne({ _id: row.request_id }, { projection: { notification: 1 } }))?.notification;
  }

  /** A workspace's delayed messages waiting, counted up to `atMost` (MAX_PENDING_DELAYED's check reads no further). */
  async pendingIn(workspaceId: string, atMost: number): Promise<number> {
    return this.collection.countDocuments({ workspace_id: workspaceId }, { limit: atMost });
  }

  /** A canceled message's row: gone (a scheduler that claimed it meanwhile finds the message CANCELED and drops it). */
  async remove(id: string): Promise<void> {
    await this.collection.deleteOne({ _id: id });
  }

  /** For /metrics: delayed messages waiting. */
  pending(): Promise<number> {
    return this.collection.estimatedDocumentCount();
  }
}
