import { type AnyBulkWriteOperation, type Collection, type Db, type Filter } from 'mongodb';
import { MAX_HISTORY_EVENTS, MAX_READ_EVENTS, MESSAGES, type HistoryEvent, type MessageDocument } from './message-document';
import { statusesBefore, TRACKING_FIELD, type MessageStatus, type TrackingEvent } from './message-status';
import { parseTrackingId, trackingIdIsValid } from './tracking';
import type { ReceiptRecord } from '../sender/expo-receipts';

export type MessageFilters = {
  recipient?: string;
  statuses?: MessageStatus[];
  providers?: string[];
  enqueuedAfter?: Date;
  messageId?: string;
};
export type MessagePage = { messages: MessageDocument[]; cursor: string | null };

/** The outcome of a send, written onto its ENQUEUED message in one update. */
export type SendWrite = Pick<MessageDocument, 'status' | 'reason' | 'error' | 'provider_keys' | 'providers' | 'tokens'> & Partial<Pick<MessageDocument, 'sent' | 'tokens_omitted'>> & { events: HistoryEvent[] };


const DAYS = 'message_days';
type DayDocument = { _id: string; workspace_id: string; day: string; sent: number; opened: number; expires_at: Date };
const DAY_RETENTION_MS = 40 * 86_400_000;

/** Pushes history events, keeping at most MAX_HISTORY_EVENTS (the oldest stay: they tell how it began). */
const pushEvents = (events: HistoryEvent[]) => ({ history: { $each: events, $slice: MAX_HISTORY_EVENTS } });

/**
 * Reads and writes of the `messages` collection. Every status change is conditional on the
 * status it replaces (message-status.ts), so concurrent writers (a cancel against the replica
 * that claimed the message, two tracking posts) settle on one answer.
 */
export class MessageStore {
  readonly collection: Collection<MessageDocument>;
  private readonly days: Collection<DayDocument>;

  /** Told of each message whose status changed, as it now is (the webhooks' message.updated). */
  private changed: ((messages: MessageDocument[]) => Promise<void>) | undefined;

  onStatusChange(listener: (messages: MessageDocument[]) => Promise<void>): void {
    this.changed = listener;
  }

  /** The changed messages as they now are, to the listener; a failure there never undoes the change. */
  private async notify(ids: string[]): Promise<void> {
    if (!this.changed || ids.length === 0) return;
    const docs = await this.collection.find({ _id: { $in: ids } }, { projection: { tokens: 0, history: 0, tracking_key: 0 } }).toArray();
    await this.changed(docs);
  }

  constructor(db: Db) {
    this.collection = db.collection<MessageDocument>(MESSAGES);
    this.days = db.collection<DayDocument>(DAYS);
  }

  async insert(messages: MessageDocument[]): Promise<void> {
    if (messages.length > 0) await this.collection.insertMany(messages, { ordered: false });
  }

  /**
   * A due delayed message starts, under the scheduler's claim on its row: DELAYED → ENQUEUED,
   * or ENQUEUED again when the replica that started it died (its claim's lease ran out).
   * Answers the message to send, or null when it is gone or was canceled.
   */
  async start(id: string, attempt: number, now: Date): Promise<MessageDocument | null> {
    const started = await this.collection.findOneAndUpdate(
      { _id: id, status: { $in: [...statusesBefore('ENQUEUED'), 'ENQUEUED'] } },
      { $set: { status: 'ENQUEUED' }, $push: pushEvents([{ ts: now, type: 'ENQUEUED', ...(attempt > 1 ? { attempt } : {}) }]) },
      { returnDocument: 'after' },
    );
    if (started) await this.notify([id]);
    return started;
  }

  /** A delayed message that failed every attempt: UNDELIVERABLE, with a DEAD_LETTERED event that says why. */
  async deadLetter(id: string, attempts: number, error: string, now: Date): Promise<void> {
    const updated = await this.collection.updateOne(
      // Never started (DELAYED) or started and never finished (ENQUEUED): a message that did finish keeps its outcome.
      { _id: id, status: { $in: ['DELAYED', 'ENQUEUED'] } },
      { $set: { status: 'UNDELIVERABLE', reason: null, error: `dead-lettered after ${attempts} attempts: ${error}`.slice(0, 500) }, $push: pushEvents([{ ts: now, type: 'DEAD_LETTERED', attempts, error: error.slice(0, 500) }]) },
    );
    if (updated.modifiedCount === 1) await this.notify([id]);
  }

  /** Whether any message of a send's request exists. */
  async requested(workspaceId: string, requestId: string): Promise<boolean> {
    return (await this.collection.countDocuments({ workspace_id: workspaceId, request_id: requestId }, { limit: 1 })) > 0;
  }

  /** Whether a message exists at all (the scheduler tells a row whose message is still being written from one whose request died). */
  async exists(id: string): Promise<boolean> {
    return (await this.collection.countDocuments({ _id: id }, { limit: 1 })) > 0;
  }

  /** Writes a send's outcomes; only onto a message still ENQUEUED (written once). */
  async finish(writes: { id: string; workspaceId: string; write: SendWrite }[]): Promise<void> {
    if (writes.length === 0) return;
    const ops: AnyBulkWriteOperation<MessageDocument>[] = writes.map(({ id, write: { events, ...fields } }) => ({
      updateOne: {
        filter: { _id: id, status: { $in: statusesBefore(fields.status) } },
        update: { $set: fields, $push: pushEvents(events) },
      },
    }));
    await Promise.all([
      this.collection.bulkWrite(ops, { ordered: false }).then(() => this.notify(writes.map((w) => w.id))),
      this.countDays(writes.flatMap(({ workspaceId, write }) => (write.sent ? [{ workspaceId, day: write.sent, field: 'sent' as const }] : []))),
    ]);
  }

  /**
   * A broadcast's outcome, once all its chunks are done (src/broadcast): onto its message while
   * ENQUEUED only, so the replicas that race to finish it write it once. CANCELED here is a
   * broadcast stopped while running. Answers whether this call wrote it.
   */
  async finishBroadcast(id: string, workspaceId: string, { events, ...fields }: SendWrite): Promise<boolean> {
    const updated = await this.collection.updateOne({ _id: id, status: 'ENQUEUED' }, { $set: fields, $push: pushEvents(events) });
    if (updated.modifiedCount === 0) return false;
    await Promise.all([this.notify([id]), fields.sent ? this.countDays([{ workspaceId, day: fields.sent, field: 'sent' }]) : undefined]);
    return true;
  }

  /** Events that come after a send's outcome (TOKEN_INVALIDATED once the token writes landed), appended in one bulk write. */
  async addEvents(batches: { id: string; events: HistoryEvent[] }[]): Promise<void> {
    if (batches.length === 0) return;
    await this.collection.bulkWrite(
      batches.map(({ id, events }) => ({ updateOne: { filter: { _id: id }, update: { $push: pushEvents(events) } } })),
      { ordered: false },
    );
  }

  /** DELAYED → CANCELED. Answers the record, and whether this call canceled it. */
  async cancel(workspaceId: string, id: string, now: Date): Promise<{ canceled: boolean; message: MessageDocument | null }> {
    const updated = await this.collection.findOneAndUpdate(
      { _id: id, workspace_id: workspaceId, status: { $in: statusesBefore('CANCELED') } },
      { $set: { status: 'CANCELED', canceled: now }, $unset: { tracking_key: '' }, $push: pushEvents([{ ts: now, type: 'CANCELED' }]) },
      { returnDocument: 'after' },
    );
    if (updated) {
      await this.notify([id]);
      return { canceled: true, message: updated };
    }
    return { canceled: false, message: await this.get(workspaceId, id) };
  }

  get(workspaceId: string, id: string): Promise<MessageDocument | null> {
    return this.collection.findOne({ _id: id, workspace_id: workspaceId });
  }

  async list(workspaceId: string, filters: MessageFilters, limit: number, cursor: { enqueued: Date; id: string } | undefined): Promise<MessagePage> {
    const query: Filter<MessageDocument> = { workspace_id: workspaceId };
    if (filters.recipient !== undefined) query.recipient = filters.recipient;
    if (filters.statuses?.length) query.status = { $in: filters.statuses };
    if (filters.providers?.length) query.provider_keys = { $in: filters.providers };
    if (filters.messageId !== undefined) query.$or = [{ _id: filters.messageId }, { request_id: filters.messageId }];
    const enqueued: Record<string, Date> = {};
    if (filters.enqueuedAfter) enqueued.$gt = filters.enqueuedAfter;
    if (cursor) {
      // Newest first, by (enqueued, _id): the next page is what sorts after the cursor.
      query.$and = [{ $or: [{ enqueued: { $lt: cursor.enqueued } }, { enqueued: cursor.enqueued, _id: { $lt: cursor.id } }] }];
    }
    if (Object.keys(enqueued).length > 0) query.enqueued = enqueued;
    const docs = await this.collection
      .find(query, { projection: { history: 0, tokens: 0, tracking_key: 0 } })
      .sort({ enqueued: -1, _id: -1 })
      .limit(limit + 1)
      .toArray();
    const page = docs.slice(0, limit);
    const last = page[page.length - 1];
    return { messages: page, cursor: docs.length > limit && last ? encodeMessageCursor(last.enqueued, last._id) : null };
  }

  /**
   * A device's tracking post. Answers 'not_found' for an unknown or altered URL; otherwise
   * sets the event's timestamp the first time (and moves the status forward), and records
   * the event in the history. A repeat of DELIVERED, OPENED or CLICKED changes nothing.
   */
  async track(opaque: string, event: TrackingEvent, now: Date): Promise<'recorded' | 'repeat' | 'not_found'> {
    const parts = parseTrackingId(opaque);
    if (!parts) return 'not_found';
    const message = await this.collection.findOne({ _id: parts.messageId }, { projection: { tracking_key: 1, workspace_id: 1, sent: 1 } });
    if (!message?.tracking_key || !trackingIdIsValid(message.tracking_key, parts)) return 'not_found';
    const field = TRACKING_FIELD[event];
    const historyEvent: HistoryEvent = { ts: now, type: event, token_id: parts.tokenId };
    if (!field) {
      // READ and UNREAD have a bound of their own: past it they are answered, not kept.
      await this.collection.updateOne(
        { _id: parts.messageId, $or: [{ read_events: { $exists: false } }, { read_events: { $lt: MAX_READ_EVENTS } }] },
        { $push: pushEvents([historyEvent]), $inc: { read_events: 1 } },
      );
      return 'recorded';
    }
    const first = await this.collection.updateOne({ _id: parts.messageId, [field]: { $exists: false } }, { $set: { [field]: now }, $push: pushEvents([historyEvent]) });
    if (first.modifiedCount === 0) return 'repeat';
    const moved = await this.collection.updateOne({ _id: parts.messageId, status: { $in: statusesBefore(event as MessageStatus) } }, { $set: { status: event as MessageStatus } });
    if (moved.modifiedCount === 1) await this.notify([parts.messageId]);
    if (field === 'opened') await this.countDays([{ workspaceId: message.workspace_id, day: message.sent ?? now, field: 'opened' }]);
    return 'recorded';
  }

  /** Expo receipts read later: a RECEIPT event (and TOKEN_INVALIDATED when it killed the token), and the token's entry. */
  async recordReceipts(notes: ReceiptRecord[]): Promise<void> {
    if (notes.length === 0) return;
    const ops: AnyBulkWriteOperation<MessageDocument>[] = notes.flatMap(({ messageId, tokenId, ok, reason, invalidated, ts }) => {
      const receipt = { status: ok ? ('ok' as const) : ('error' as const), ...(reason !== undefined ? { reason } : {}), ts };
      const events: HistoryEvent[] = [{ ts, type: 'RECEIPT', token_id: tokenId, status: receipt.status, ...(reason !== undefined ? { reason } : {}) }];
      if (invalidated) events.push({ ts, type: 'TOKEN_INVALIDATED', token_id: tokenId, reason: reason ?? null });
      return [
        { updateOne: { filter: { _id: messageId }, update: { $push: pushEvents(events) } } },
        {
          updateOne: {
            filter: { _id: messageId, 'tokens.token_id': tokenId },
            update: { $set: { 'tokens.$.receipt': receipt, ...(invalidated ? { 'tokens.$.outcome': 'invalid' as const, 'tokens.$.reason': reason ?? null } : {}) } },
          },
        },
      ];
    });
    await this.collection.bulkWrite(ops, { ordered: false });
  }

  /** Messages sent and opened per UTC day of sending, the last `days` days (the open rate of /stats). */
  async perDay(workspaceId: string, since: Date): Promise<{ day: string; sent: number; opened: number }[]> {
    const first = since.toISOString().slice(0, 10);
    const docs = await this.days.find({ workspace_id: workspaceId, day: { $gte: first } }).toArray();
    return docs.map(({ day, sent, opened }) => ({ day, sent, opened })).sort((a, b) => a.day.localeCompare(b.day));
  }

  private async countDays(counts: { workspaceId: string; day: Date; field: 'sent' | 'opened' }[]): Promise<void> {
    if (counts.length === 0) return;
    const totals = new Map<string, { workspaceId: string; day: string; field: 'sent' | 'opened'; n: number }>();
    for (const { workspaceId, day, field } of counts) {
      const key = `${workspaceId}:${day.toISOString().slice(0, 10)}:${field}`;
      const entry = totals.get(key) ?? { workspaceId, day: day.toISOString().slice(0, 10), field, n: 0 };
      entry.n++;
      totals.set(key, entry);
    }
    await this.days.bulkWrite(
      [...totals.values()].map(({ workspaceId, day, field, n }) => ({
        updateOne: {
          filter: { _id: `${workspaceId}:${day}` },
          update: {
            $inc: { [field]: n, [field === 'sent' ? 'opened' : 'sent']: 0 },
            $setOnInsert: { workspace_id: workspaceId, day, expires_at: new Date(Date.parse(day) + DAY_RETENTION_MS) },
          },
          upsert: true,
        },
      })),
      { ordered: false },
    );
  }
}

export function encodeMessageCursor(enqueued: Date, id: string): string {
  return Buffer.from(JSON.stringify([enqueued.getTime(), id])).toString('base64url');
}

export function decodeMessageCursor(text: string): { enqueued: Date; id: string } | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') return { enqueued: new Date(value[0] as number), id: value[1] };
  } catch {
    // Not ours: the caller answers 400.
  }
  return undefined;
}

export async function ensureMessageDayIndexes(db: Db): Promise<void> {
  await db.collection(DAYS).createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
}
