import { randomUUID } from 'node:crypto';
import type { Collection, Db, ObjectId } from 'mongodb';

/**
 * The `expo_tickets` collection (docs/storage.md): one document per `ok` Expo ticket, kept
 * until its receipt has been read. Expo answers DeviceNotRegistered mostly in the receipt,
 * about 15 minutes after the send, and keeps receipts for 24 hours; without this the dead
 * tokens of Expo apps would never be found.
 *
 * Replicas share the checking through claims: claiming moves `check_after` forward by the
 * claim's lease, with a condition that the ticket is still due, in one update per document. So
 * two replicas never claim one ticket, and the tickets of a replica that died mid-pass are due
 * again once the lease runs out.
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
  sent_at: Date;
  /** When the checker next asks for the receipt (first: sent_at + EXPO_RECEIPT_DELAY). */
  check_after: Date;
  /** The TTL index deletes the document then: Expo's 24 hours, plus an hour to count a missing receipt. */
  expires_at: Date;
  claim?: string;
};

export type NewTicket = Pick<ExpoTicketDocument, '_id' | 'workspace_id' | 'token_id' | 'token_revision' | 'credential_id'>;

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

  constructor(db: Db) {
    this.collection = db.collection<ExpoTicketDocument>('expo_tickets');
  }

  async record(tickets: readonly NewTicket[], sentAt: Date, delayMs: number): Promise<void> {
    if (tickets.length === 0) return;
    const checkAfter = new Date(sentAt.getTime() + delayMs);
    const expiresAt = new Date(sentAt.getTime() + EXPO_RECEIPT_RETENTION_MS + TTL_GRACE_MS);
    await this.collection.insertMany(
      tickets.map((ticket) => ({ ...ticket, sent_at: sentAt, check_after: checkAfter, expires_at: expiresAt })),
      { ordered: false },
    );
  }

  /** Claims up to `limit` due tickets for `leaseMs`; answers those this call claimed. */
  async claimDue(now: Date, limit: number, leaseMs: number): Promise<ExpoTicketDocument[]> {
    const due = { check_after: { $lte: now } };
    const candidates = await this.collection.find(due, { projection: { _id: 1 } }).sort({ check_after: 1 }).limit(limit).toArray();
    if (candidates.length === 0) return [];
    const claim = randomUUID();
    const ids = candidates.map((c) => c._id);
    await this.collection.updateMany({ _id: { $in: ids }, ...due }, { $set: { claim, check_after: new Date(now.getTime() + leaseMs) } });
    // By _id (indexed), then by claim: the ones another replica claimed first are not ours.
    return this.collection.find({ _id: { $in: ids }, claim }).toArray();
  }

  /** Receipts read (or given up on): the tickets are done. */
  async finish(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.collection.deleteMany({ _id: { $in: [...ids] } });
  }

  /** No receipt yet, or Expo could not be asked: ask again at `at`. */
  async reschedule(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length > 0) await this.collection.updateMany({ _id: { $in: [...ids] } }, { $set: { check_after: at }, $unset: { claim: '' } });
  }

  /** For /metrics: tickets waiting for a receipt, and when the oldest was sent. */
  async pending(): Promise<{ count: number; oldestSentAt: Date | undefined }> {
    const count = await this.collection.estimatedDocumentCount();
    const oldest = await this.collection.find({}, { projection: { sent_at: 1 } }).sort({ expires_at: 1 }).limit(1).next();
    return { count, oldestSentAt: oldest?.sent_at };
  }
}
