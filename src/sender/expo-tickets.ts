import type { Collection, Db, ObjectId } from 'mongodb';
import { insertIgnoringDuplicates } from '../db/insert-once';
import { LeasedQueue, type Claimed } from '../queue/leased-queue';

/**
 * The `expo_tickets` collection (docs/storage.md): one document per `ok` Expo ticket, kept
 * until its receipt has been read. Expo answers DeviceNotRegistered mostly in the receipt,
 * about 15 minutes after the send, and keeps receipts for 24 hours; without this the dead
 * tokens of Expo apps would never be found.
 *
 * Replicas share the checking through the leased queue (queue/leased-queue.ts): claiming moves
 * `check_after` forward by the lease, and finishing or rescheduling is conditional on the claim
 * still being this replica's. So two replicas never claim one ticket, a replica past its lease
 * changes nothing, and the tickets of a replica that died mid-pass are due again once the
 * lease runs out.
 */
export type ExpoTicketDocument = {
  /** Expo's ticket id, the id its receipt is asked by. */
  _id: string;
  workspace_id: string;
  token_id: ObjectId;
  /** The token's revision when it was sent: a receipt may only fail the token it was sent to. */
  token_revision: number;
  /** The app credential that sent it (its access token reads the receipt); null for the instance-wide client. */
  credential_id: string | null;
  /** The message (src/messages) the ticket belongs to: its receipt lands in that message's history. */
  message_id?: string;
  sent_at: Date;
  /** When the checker next asks for the receipt (first: sent_at + EXPO_RECEIPT_DELAY). */
  check_after: Date;
  /** The TTL index deletes the document then: Expo's 24 hours, plus an hour to count a missing receipt. */
  expires_at: Date;
  /** The claim of the replica checking it now (queue/leased-queue.ts). */
  claim?: string;
  /** How many times a checker has claimed it. */
  attempts?: number;
  /** Why the last check could not read its receipt (no client, Expo unreachable). */
  last_error?: string;
};
export type ClaimedTicket = Claimed<ExpoTicketDocument>;

export type NewTicket = Pick<ExpoTicketDocument, '_id' | 'workspace_id' | 'token_id' | 'token_revision' | 'credential_id' | 'message_id'>;

/** Expo keeps receipts for 24 hours; a receipt still missing then never comes. */
export const EXPO_RECEIPT_RETENTION_MS = 24 * 3600_000;
const TTL_GRACE_MS = 3600_000;

export async function ensureExpoTicketIndexes(db: Db): Promise<void> {
  const tickets = db.collection('expo_tickets');
  await tickets.createIndex({ check_after: 1 }, { name: 'due' });
  await tickets.createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
}

export class ExpoTicketStore {
  readonly collection: Collection<ExpoTicketDocument>;
  readonly queue: LeasedQueue<ExpoTicketDocument>;

  constructor(db: Db) {
    this.collection = db.collection<ExpoTicketDocument>('expo_tickets');
    this.queue = new LeasedQueue(this.collection, 'check_after');
  }

  /** Keyed by ticket id: recording the same tickets again (a send result applied twice) adds nothing. */
  async record(tickets: readonly NewTicket[], sentAt: Date, delayMs: number): Promise<void> {
    if (tickets.length === 0) return;
    const checkAfter = new Date(sentAt.getTime() + delayMs);
    const expiresAt = new Date(sentAt.getTime() + EXPO_RECEIPT_RETENTION_MS + TTL_GRACE_MS);
    await insertIgnoringDuplicates(
      this.collection,
      tickets.map((ticket) => ({ ...ticket, sent_at: sentAt, check_after: checkAfter, expires_at: expiresAt })),
    );
  }

  /** For /metrics: tickets waiting for a receipt, and when the oldest was sent. */
  async pending(): Promise<{ count: number; oldestSentAt: Date | undefined }> {
    const count = await this.collection.estimatedDocumentCount();
    const oldest = await this.collection.find({}, { projection: { sent_at: 1 } }).sort({ expires_at: 1 }).limit(1).next();
    return { count, oldestSentAt: oldest?.sent_at };
  }
}
