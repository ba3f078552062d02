import type { Collection, Db } from 'mongodb';
import { ConflictError, NotFoundError } from '../errors';
import { isDuplicateKey } from '../db/insert-once';
import { listPatternRegex } from './list-ids';

/**
 * Courier's lists (collections `lists` and `list_subscriptions`, docs/storage.md). A list is
 * named by a dotted id of the workspace's choosing; a subscription is one user on one list. A
 * list may hold millions of users: nothing here reads a list's members whole, and every page
 * moves by key (user_id), never by offset.
 *
 * Deleting a list marks it deleted, as Courier does: it is a 404 to every route and send, and
 * `restore` brings it back with its subscriptions.
 */
export type ListDocument = {
  workspace_id: string;
  list_id: string;
  name: string;
  created: Date;
  updated: Date;
  /** Subscriptions added less those removed: checked against MAX_LIST_SUBSCRIBERS. */
  subscribers: number;
  deleted_at?: Date;
};
export type SubscriptionDocument = {
  workspace_id: string;
  list_id: string;
  user_id: string;
  created: Date;
  /** Courier's per-subscription preferences, kept and answered as given. */
  preferences?: unknown;
};
export type Subscriber = { user_id: string; preferences?: unknown };
export type ListLimits = { maxLists: number; maxSubscribers: number };

export const LISTS = 'lists';
export const LIST_SUBSCRIPTIONS = 'list_subscriptions';
/** Recipients one request may add or set (POST and PUT …/subscriptions): Courier's bulk calls, bounded. */
export const MAX_RECIPIENTS_PER_REQUEST = 1_000;

export async function ensureListIndexes(db: Db): Promise<void> {
  await db.collection(LISTS).createIndex({ workspace_id: 1, list_id: 1 }, { name: 'workspace_list', unique: true });
  // Serves a list's page of members by user_id, the broadcast's chunks, and one user's subscription.
  await db.collection(LIST_SUBSCRIPTIONS).createIndex({ workspace_id: 1, list_id: 1, user_id: 1 }, { name: 'workspace_list_user', unique: true });
  // A user's lists (and removing a user everywhere).
  await db.collection(LIST_SUBSCRIPTIONS).createIndex({ workspace_id: 1, user_id: 1 }, { name: 'workspace_user' });
}

export class ListStore {
  readonly lists: Collection<ListDocument>;
  readonly subscriptions: Collection<SubscriptionDocument>;

  constructor(
    db: Db,
    private readonly limits: ListLimits,
  ) {
    this.lists = db.collection<ListDocument>(LISTS);
    this.subscriptions = db.collection<SubscriptionDocument>(LIST_SUBSCRIPTIONS);
  }

  /** A live list, or a 404 (deleted, another workspace's, or never made). */
  async get(workspaceId: string, listId: string): Promise<ListDocument> {
    const list = await this.lists.findOne({ workspace_id: workspaceId, list_id: listId, deleted_at: { $exists: false } });
    if (!list) throw new NotFoundError(`No list ${listId} in this workspace`);
    return list;
  }

  /** Lists by id, from after `after`; `pattern` (list-ids.ts) narrows them. Deleted lists are not listed. */
  async page(workspaceId: string, options: { limit: number; after?: string; pattern?: string }): Promise<ListDocument[]> {
    const listId = {
      ...(options.after !== undefined ? { $gt: options.after } : {}),
      ...(options.pattern !== undefined ? { $regex: listPatternRegex(options.pattern) } : {}),
    };
    return this.lists
      .find({ workspace_id: workspaceId, deleted_at: { $exists: false }, ...(Object.keys(listId).length > 0 ? { list_id: listId } : {}) })
      .sort({ list_id: 1 })
      .limit(options.limit)
      .toArray();
  }

  /** The live lists a pattern matches, by id from after `after` (a broadcast walks them one at a time). */
  async matching(workspaceId: string, pattern: string, after: string | undefined, limit: number): Promise<string[]> {
    const docs = await this.page(workspaceId, { limit, pattern, ...(after !== undefined ? { after } : {}) });
    return docs.map((d) => d.list_id);
  }

  /** Courier's PUT /lists/:list_id: creates the list, or renames it (a deleted one stays deleted until restored). */
  async put(workspaceId: string, listId: string, name: string, now: Date): Promise<void> {
    const updated = await this.lists.updateOne({ workspace_id: workspaceId, list_id: listId }, { $set: { name, updated: now } });
    if (updated.matchedCount === 0) await this.create(workspaceId, listId, name, now);
  }

  /** A list that exists (live) after this call: made if it did not; a 404 if it is deleted. */
  async ensure(workspaceId: string, listId: string, now: Date): Promise<void> {
    const list = await this.lists.findOne({ workspace_id: workspaceId, list_id: listId }, { projection: { deleted_at: 1 } });
    if (list?.deleted_at) throw new NotFoundError(`List ${listId} is deleted; restore it first`);
    if (!list) await this.create(workspaceId, listId, listId, now);
  }

  private async create(workspaceId: string, listId: string, name: string, now: Date): Promise<void> {
    const count = await this.lists.countDocuments({ workspace_id: workspaceId }, { limit: this.limits.maxLists });
    if (count >= this.limits.maxLists) throw new ConflictError(`This workspace has ${this.limits.maxLists} lists, the most it may have (MAX_LISTS); delete one first`);
    try {
      await this.lists.insertOne({ workspace_id: workspaceId, list_id: listId, name, created: now, updated: now, subscribers: 0 });
    } catch (error) {
      // Made meanwhile by a racing request: the same outcome.
      if (!isDuplicateKey(error)) throw error;
    }
  }

  async delete(workspaceId: string, listId: string, now: Date): Promise<void> {
    const deleted = await this.lists.updateOne({ workspace_id: workspaceId, list_id: listId, deleted_at: { $exists: false } }, { $set: { deleted_at: now, updated: now } });
    if (deleted.matchedCount === 0) throw new NotFoundError(`No list ${listId} in this workspace`);
  }

  async restore(workspaceId: string, listId: string, now: Date): Promise<void> {
    const list = await this.lists.findOneAndUpdate({ workspace_id: workspaceId, list_id: listId }, { $unset: { deleted_at: '' }, $set: { updated: now } });
    if (!list) throw new NotFoundError(`No list ${listId} in this workspace`);
  }

  /** A page of a list's subscriptions, by user_id from after `after`. */
  async members(workspaceId: string, listId: string, options: { limit: number; after?: string }): Promise<SubscriptionDocument[]> {
    await this.get(workspaceId, listId);
    return this.subscriptions
      .find({ workspace_id: workspaceId, list_id: listId, ...(options.after !== undefined ? { user_id: { $gt: options.after } } : {}) })
      .sort({ user_id: 1 })
      .limit(options.limit)
      .toArray();
  }

  /**
   * Subscribes users (at most MAX_RECIPIENTS_PER_REQUEST); those already subscribed keep their
   * subscription, with the preferences given now. The list is made if it does not exist.
   */
  async subscribe(workspaceId: string, listId: string, subscribers: readonly Subscriber[], now: Date): Promise<void> {
    await this.ensure(workspaceId, listId, now);
    await this.refuseOverSubscriberBound(workspaceId, listId, subscribers.length);
    const written = await this.subscriptions.bulkWrite(
      subscribers.map(({ user_id, preferences }) => ({
        updateOne: {
          filter: { workspace_id: workspaceId, list_id: listId, user_id },
          update: { $setOnInsert: { created: now }, ...(preferences !== undefined ? { $set: { preferences } } : {}) },
          upsert: true,
        },
      })),
      { ordered: false },
    );
    await this.countSubscribers(workspaceId, listId, written.upsertedCount);
  }

  /**
   * Courier's PUT …/subscriptions: the list's subscribers become exactly these. The new ones
   * are written first, then every other is removed, so a reader never sees the list empty in
   * between; a request that dies halfway leaves a superset, which repeating it corrects.
   */
  async replace(workspaceId: string, listId: string, subscribers: readonly Subscriber[], now: Date): Promise<void> {
    await this.subscribe(workspaceId, listId, subscribers, now);
    const removed = await this.subscriptions.deleteMany({ workspace_id: workspaceId, list_id: listId, user_id: { $nin: subscribers.map((s) => s.user_id) } });
    await this.countSubscribers(workspaceId, listId, -removed.deletedCount);
  }

  /** Unsubscribes one user; a 404 when the user was not subscribed. */
  async unsubscribe(workspaceId: string, listId: string, userId: string): Promise<void> {
    await this.get(workspaceId, listId);
    const removed = await this.subscriptions.deleteOne({ workspace_id: workspaceId, list_id: listId, user_id: userId });
    if (removed.deletedCount === 0) throw new NotFoundError(`User ${userId} is not subscribed to list ${listId}`);
    await this.countSubscribers(workspaceId, listId, -1);
  }

  /** MAX_LIST_SUBSCRIBERS, counted before the write: requests racing each other may pass it by their own size. */
  private async refuseOverSubscriberBound(workspaceId: string, listId: string, adding: number): Promise<void> {
    const list = await this.lists.findOne({ workspace_id: workspaceId, list_id: listId }, { projection: { subscribers: 1 } });
    const now = list?.subscribers ?? 0;
    if (now + adding > this.limits.maxSubscribers) {
      throw new ConflictError(`List ${listId} has ${now} subscribers; ${adding} more could pass MAX_LIST_SUBSCRIBERS (${this.limits.maxSubscribers})`);
    }
  }

  private async countSubscribers(workspaceId: string, listId: string, change: number): Promise<void> {
    if (change !== 0) await this.lists.updateOne({ workspace_id: workspaceId, list_id: listId }, { $inc: { subscribers: change } });
  }
}

/** How a list reads in the API, as Courier answers it. */
export function listView(list: ListDocument): { id: string; name: string; created: string; updated: string } {
  return { id: list.list_id, name: list.name, created: list.created.toISOString(), updated: list.updated.toISOString() };
}
