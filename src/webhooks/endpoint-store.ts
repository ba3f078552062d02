import { refuseOverBound } from '../db/workspace-bound';
import { randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Sealed, SecretBox } from '../apps/secret-box';
import { NotFoundError, UnavailableError } from '../errors';
import type { WebhookEventType } from './events';

/**
 * The `webhook_endpoints` collection (docs/storage.md): a workspace's endpoints, each with its
 * signing secret sealed by the SecretBox (CREDENTIALS_KEYS), like provider credentials. The
 * secret is answered once, on creation (and on rotation); reads never show it. After a
 * rotation, the previous secret keeps signing beside the new one for 24 hours.
 */
export type EndpointDocument = {
  _id: string;
  workspace_id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  disabled: boolean;
  disabled_reason: string | null;
  secret: Sealed;
  previous_secret?: Sealed;
  previous_until?: Date;
  /** Since when every attempt has failed (unset by a success): WEBHOOK_DISABLE_AFTER disables it. */
  failing_since?: Date;
  created_at: Date;
  updated_at: Date;
};
export type EndpointView = { id: string; url: string; events: WebhookEventType[]; description: string | null; disabled: boolean; disabled_reason: string | null; created_at: string; updated_at: string };

const COLLECTION = 'webhook_endpoints';
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

export async function ensureEndpointIndexes(db: Db): Promise<void> {
  await db.collection(COLLECTION).createIndex({ workspace_id: 1, _id: 1 }, { name: 'workspace_endpoint' });
}

export function endpointView(doc: EndpointDocument): EndpointView {
  return { id: doc._id, url: doc.url, events: doc.events, description: doc.description, disabled: doc.disabled, disabled_reason: doc.disabled_reason, created_at: doc.created_at.toISOString(), updated_at: doc.updated_at.toISOString() };
}

/** A Standard Webhooks secret: `whsec_` and 24 random bytes, base64. */
const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/**
 * How long one replica reuses a workspace's enabled endpoints before reading them again: every
 * send and status change asks, and most workspaces have none. This replica's own changes take
 * effect at once; another replica's within this time.
 */
export const ENDPOINT_CACHE_MS = 5_000;

export class EndpointStore {
  readonly collection: Collection<EndpointDocument>;
  private readonly enabled = new Map<string, { until: number; docs: Promise<EndpointDocument[]> }>();

  constructor(
    db: Db,
    private readonly box: SecretBox | undefined,
    /** MAX_WEBHOOK_ENDPOINTS: how many one workspace may have. */
    private readonly maxEndpoints = Number.MAX_SAFE_INTEGER,
  ) {
    this.collection = db.collection<EndpointDocument>(COLLECTION);
  }

  private requireBox(): SecretBox {
    if (!this.box) throw new UnavailableError('CREDENTIALS_KEYS is not set: webhook secrets are stored encrypted with it');
    return this.box;
  }

  async create(workspaceId: string, input: { url: string; events: WebhookEventType[]; description?: string | undefined }, now: Date): Promise<{ endpoint: EndpointView; secret: string }> {
    const box = this.requireBox();
    await refuseOverBound(this.collection, workspaceId, this.maxEndpoints, 'webhook endpoints', 'MAX_WEBHOOK_ENDPOINTS');
    const id = `ep_${randomBytes(12).toString('hex')}`;
    const secret = newSecret();
    const doc: EndpointDocument = {
      _id: id, workspace_id: workspaceId, url: input.url, events: input.events, description: input.description ?? null,
      disabled: false, disabled_reason: null, secret: box.seal(secret, [workspaceId, id]), created_at: now, updated_at: now,
    };
    await this.collection.insertOne(doc);
    this.enabled.delete(workspaceId);
    return { endpoint: endpointView(doc), secret };
  }

  /** In id order, from after `after`; `limit` of them. */
  async list(workspaceId: string, { limit, after }: { limit: number; after?: string | undefined }): Promise<EndpointDocument[]> {
    return this.collection.find({ workspace_id: workspaceId, ...(after !== undefined ? { _id: { $gt: after } } : {}) }).sort({ _id: 1 }).limit(limit).toArray();
  }

  async get(workspaceId: string, id: string): Promise<EndpointDocument> {
    const doc = await this.collection.findOne({ _id: id, workspace_id: workspaceId });
    if (!doc) throw new NotFoundError('No such webhook endpoint in this workspace');
    return doc;
  }

  async update(workspaceId: string, id: string, changes: Partial<Pick<EndpointDocument, 'url' | 'events' | 'description' | 'disabled'>>, now: Date): Promise<EndpointDocument> {
    const set: Partial<EndpointDocument> = { ...changes, updated_at: now };
    if (changes.disabled === false) set.disabled_reason = null;
    if (changes.disabled === true) set.disabled_reason = 'disabled through the API';
    // Enabled by hand: its failure streak starts over.
    const update = changes.disabled === false ? { $set: set, $unset: { failing_since: '' as const } } : { $set: set };
    const doc = await this.collection.findOneAndUpdate({ _id: id, workspace_id: workspaceId }, update, { returnDocument: 'after' });
    this.enabled.delete(workspaceId);
    if (!doc) throw new NotFoundError('No such webhook endpoint in this workspace');
    return doc;
  }

  async remove(workspaceId: string, id: string): Promise<void> {
    const { deletedCount } = await this.collection.deleteOne({ _id: id, workspace_id: workspaceId });
    this.enabled.delete(workspaceId);
    if (deletedCount === 0) throw new NotFoundError('No such webhook endpoint in this workspace');
  }

  /** A new secret; the old one signs beside it for 24 hours, so receivers can switch without losing a delivery. */
  async rotate(workspaceId: string, id: string, now: Date): Promise<string> {
    const box = this.requireBox();
    const current = await this.get(workspaceId, id);
    const secret = newSecret();
    await this.collection.updateOne(
      { _id: id, workspace_id: workspaceId },
      { $set: { secret: box.seal(secret, [workspaceId, id]), previous_secret: current.secret, previous_until: new Date(now.getTime() + ROTATION_OVERLAP_MS), updated_at: now } },
    );
    this.enabled.delete(workspaceId);
    return secret;
  }

  /** The secrets a delivery is signed with now: the current one, and the previous one during its overlap. */
  secretsOf(doc: EndpointDocument, now: Date): string[] {
    const box = this.requireBox();
    const secrets = [box.open(doc.secret, [doc.workspace_id, doc._id])];
    if (doc.previous_secret && doc.previous_until && doc.previous_until > now) secrets.push(box.open(doc.previous_secret, [doc.workspace_id, doc._id]));
    return secrets;
  }

  /** Endpoints of a workspace that want `type` now (not disabled), from the workspace's cached list (ENDPOINT_CACHE_MS). */
  async subscribers(workspaceId: string, type: WebhookEventType): Promise<EndpointDocument[]> {
    return (await this.enabledOf(workspaceId)).filter((doc) => doc.events.includes(type));
  }

  private enabledOf(workspaceId: string): Promise<EndpointDocument[]> {
    const cached = this.enabled.get(workspaceId);
    if (cached && cached.until > Date.now()) return cached.docs;
    const docs = this.collection.find({ workspace_id: workspaceId, disabled: false }).toArray();
    this.enabled.set(workspaceId, { until: Date.now() + ENDPOINT_CACHE_MS, docs });
    // A failed read is not kept: the next caller reads again.
    docs.catch(() => this.enabled.delete(workspaceId));
    return docs;
  }

  async recordSuccess(id: string): Promise<void> {
    await this.collection.updateOne({ _id: id, failing_since: { $exists: true } }, { $unset: { failing_since: '' } });
  }

  /** A failed attempt: starts the failure streak, and disables the endpoint past `disableAfterMs` of it (or at once, for a 410). */
  async recordFailure(id: string, now: Date, disableAfterMs: number, gone: boolean): Promise<{ disabled: boolean }> {
    if (gone) {
      const r = await this.collection.updateOne({ _id: id, disabled: false }, { $set: { disabled: true, disabled_reason: 'the endpoint answered 410 Gone', updated_at: now } });
      if (r.modifiedCount === 1) this.enabled.clear();
      return { disabled: r.modifiedCount === 1 };
    }
    await this.collection.updateOne({ _id: id, failing_since: { $exists: false } }, { $set: { failing_since: now } });
    const r = await this.collection.updateOne(
      { _id: id, disabled: false, failing_since: { $lte: new Date(now.getTime() - disableAfterMs) } },
      { $set: { disabled: true, disabled_reason: `every attempt failed for ${Math.round(disableAfterMs / 3_600_000)} hours (WEBHOOK_DISABLE_AFTER)`, updated_at: now } },
    );
    if (r.modifiedCount === 1) this.enabled.clear();
    return { disabled: r.modifiedCount === 1 };
  }
}
