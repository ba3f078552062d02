import type { Collection, Db } from 'mongodb';
import type { Notification } from '../providers/provider';
import { LeasedQueue, type Claimed } from '../queue/leased-queue';

/**
 * The `scheduled_sends` collection (docs/storage.md): one row per delayed message not yet sent
 * or canceled, holding what to send and to whom (tokens are resolved when it is due). Apart
 * from `messages` so that the scheduler's every-second look for due work reads only what is
 * pending, never the whole log. A row is written **before** its message: a request that dies in
 * between leaves a row without a message, which the scheduler drops; the other order would
 * leave a message DELAYED for ever.
 */
export type ScheduledSendDocument = {
  /** The message id. */
  _id: string;
  workspace_id: string;
  target: { user_id: string } | { token: string };
  notification: Notification;
  tracking: boolean;
  created_at: Date;
  /** When the scheduler next takes it: the delay's end, or a claim's lease end (queue/leased-queue.ts). */
  due_at: Date;
  claim?: string;
  attempts?: number;
  last_error?: string;
};
export type ClaimedSend = Claimed<ScheduledSendDocument>;

const COLLECTION = 'scheduled_sends';

export async function ensureScheduledSendIndexes(db: Db): Promise<void> {
  await db.collection(COLLECTION).createIndex({ due_at: 1 }, { name: 'due' });
}

export class ScheduledSends {
  readonly collection: Collection<ScheduledSendDocument>;
  readonly queue: LeasedQueue<ScheduledSendDocument>;

  constructor(db: Db) {
    this.collection = db.collection<ScheduledSendDocument>(COLLECTION);
    this.queue = new LeasedQueue(this.collection, 'due_at');
  }

  async insert(rows: ScheduledSendDocument[]): Promise<void> {
    if (rows.length > 0) await this.collection.insertMany(rows, { ordered: false });
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
