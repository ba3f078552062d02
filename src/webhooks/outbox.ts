import type { Collection, Db, ObjectId } from 'mongodb';
import { insertIgnoringDuplicates } from '../db/insert-once';
import { LeasedQueue, type Claimed } from '../queue/leased-queue';
import type { EndpointStore } from './endpoint-store';
import { eventPayload, type WebhookEvent } from './events';

/**
 * The durable outbox (`webhook_deliveries`, docs/webhooks.md): one row per event and endpoint,
 * claimed by the dispatcher through the leased queue and deleted once delivered or given up.
 * The send path only inserts rows, in bulk; a slow endpoint never slows a send.
 *
 * **No committed change without its event.** token.invalidated and delivery.held come from
 * durable send results (src/outcomes), with event ids derived from the result, so a result
 * applied again after a crash adds the same rows (`add` keeps a row that is already there).
 */
export type DeliveryDocument = {
  /** `<event id>:<endpoint id>`. */
  _id: string;
  /** The event's id: the `webhook-id` of every attempt, the same across retries. */
  event_id: string;
  workspace_id: string;
  endpoint_id: string;
  type: string;
  payload: string;
  created_at: Date;
  /** When the dispatcher next takes it. */
  due_at?: Date;
  claim?: string;
  attempts?: number;
  last_error?: string;
};
export type ClaimedDelivery = Claimed<DeliveryDocument>;

/** Each attempt, newest first per endpoint, for GET /webhooks/:id/attempts; kept 30 days. */
export type AttemptDocument = {
  _id?: ObjectId;
  workspace_id: string;
  endpoint_id: string;
  event_id: string;
  type: string;
  at: Date;
  status: number | null;
  duration_ms: number;
  response: string | null;
  error: string | null;
  next_retry: Date | null;
  expires_at: Date;
};

const ATTEMPT_RETENTION_MS = 30 * 86_400_000;

export async function ensureOutboxIndexes(db: Db): Promise<void> {
  await db.collection('webhook_deliveries').createIndex({ due_at: 1 }, { name: 'due', sparse: true });
  await db.collection('webhook_deliveries').createIndex({ created_at: 1 }, { name: 'created' });
  await db.collection('webhook_attempts').createIndex({ endpoint_id: 1, _id: -1 }, { name: 'endpoint_attempts' });
  await db.collection('webhook_attempts').createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
  await db.collection('webhook_throttle').createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
}

export class Outbox {
  readonly deliveries: Collection<DeliveryDocument>;
  readonly attempts: Collection<AttemptDocument>;
  readonly queue: LeasedQueue<DeliveryDocument>;
  private readonly throttle: Collection<{ _id: string; until: Date; expires_at: Date }>;

  constructor(
    db: Db,
    private readonly endpoints: EndpointStore,
  ) {
    this.deliveries = db.collection<DeliveryDocument>('webhook_deliveries');
    this.attempts = db.collection<AttemptDocument>('webhook_attempts');
    this.queue = new LeasedQueue(this.deliveries, 'due_at');
    this.throttle = db.collection('webhook_throttle');
  }

  /** Rows for each event and each endpoint of the workspace that wants it, due now; keyed by event and endpoint, so adding an event again adds nothing while its row waits. */
  async add(workspaceId: string, events: WebhookEvent[], now: Date): Promise<void> {
    const rows = await this.rowsFor(workspaceId, events, now);
    await insertIgnoringDuplicates(this.deliveries, rows.map(({ row }) => ({ ...row, due_at: now })));
  }

  /**
   * delivery.held at most once per workspace, credential and reason per `windowMs`: the first
   * caller to move the window (one conditional upsert, shared by replicas) writes the event.
   */
  async addThrottled(workspaceId: string, key: string, event: WebhookEvent, now: Date, windowMs: number): Promise<boolean> {
    try {
      await this.throttle.updateOne(
        { _id: `${workspaceId}:${key}`, until: { $lte: now } },
        { $set: { until: new Date(now.getTime() + windowMs), expires_at: new Date(now.getTime() + 2 * windowMs) } },
        { upsert: true },
      );
    } catch (error) {
      // The window is still open: a duplicate _id for the upsert's insert.
      if ((error as { code?: number }).code === 11000) return false;
      throw error;
    }
    await this.add(workspaceId, [event], now);
    return true;
  }

  /** One event for one endpoint, whatever it subscribes to (POST /webhooks/:id/test). */
  async addTo(endpoint: { _id: string; workspace_id: string }, event: WebhookEvent, now: Date): Promise<void> {
    await this.deliveries.insertOne({ _id: `${event.id}:${endpoint._id}`, event_id: event.id, workspace_id: endpoint.workspace_id, endpoint_id: endpoint._id, type: event.type, payload: eventPayload(event), created_at: now, due_at: now });
  }

  async recordAttempt(attempt: Omit<AttemptDocument, 'expires_at'>): Promise<void> {
    await this.attempts.insertOne({ ...attempt, expires_at: new Date(attempt.at.getTime() + ATTEMPT_RETENTION_MS) });
  }

  async listAttempts(workspaceId: string, endpointId: string, limit: number, before: ObjectId | undefined): Promise<AttemptDocument[]> {
    return this.attempts
      .find({ workspace_id: workspaceId, endpoint_id: endpointId, ...(before ? { _id: { $lt: before } } : {}) })
      .sort({ _id: -1 })
      .limit(limit)
      .toArray();
  }

  /** For /metrics: deliveries waiting, and when the oldest of them was created. */
  async pending(): Promise<{ count: number; oldest: Date | undefined }> {
    const count = await this.deliveries.estimatedDocumentCount();
    // By creation, not by due time: a delivery retrying for hours must not hide behind new ones.
    const oldest = await this.deliveries.find({}, { projection: { created_at: 1 } }).sort({ created_at: 1 }).limit(1).next();
    return { count, oldest: oldest?.created_at };
  }

  private async rowsFor(workspaceId: string, events: WebhookEvent[], now: Date): Promise<{ row: DeliveryDocument }[]> {
    if (events.length === 0) return [];
    const types = [...new Set(events.map((e) => e.type))];
    const subscribers = new Map(await Promise.all(types.map(async (type) => [type, await this.endpoints.subscribers(workspaceId, type)] as const)));
    return events.flatMap((event) =>
      (subscribers.get(event.type) ?? []).map((endpoint) => ({
        row: { _id: `${event.id}:${endpoint._id}`, event_id: event.id, workspace_id: workspaceId, endpoint_id: endpoint._id, type: event.type, payload: eventPayload(event), created_at: now },
      })),
    );
  }
}
