import type { Collection, Db } from 'mongodb';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { TokenModel } from '../tokens/token-model';
import { sendable } from '../tokens/token-queries';
import { kindQuery } from '../tokens/live-activity';
import { audienceQuery, cleanFilter, type FilterNode, type Query } from './audience-filter';

/**
 * Courier's audiences over devices (collection `audiences`, docs/storage.md): a named filter
 * over token fields (audience-filter.ts). Its members are the workspace's active tokens the
 * filter matches, read a page at a time in `_id` order, never whole.
 */
export type AudienceDocument = {
  workspace_id: string;
  audience_id: string;
  name: string;
  description: string;
  filter: { filters: FilterNode[] };
  operator: 'AND' | 'OR';
  /** Counts each change of the filter (Courier's audience_version). */
  version: number;
  created_at: Date;
  updated_at: Date;
};
export type AudienceInput = { name?: string | null; description?: string | null; filter?: { filters: FilterNode[] } | null; operator?: 'AND' | 'OR' | null };
export type AudienceMember = { _id: { toHexString(): string }; user_id: string; token: string; provider_key: string; device?: { app_id?: string; platform?: string }; created_at?: Date };

export const AUDIENCES = 'audiences';

export async function ensureAudienceIndexes(db: Db): Promise<void> {
  await db.collection(AUDIENCES).createIndex({ workspace_id: 1, audience_id: 1 }, { name: 'workspace_audience', unique: true });
}

export class AudienceStore {
  readonly collection: Collection<AudienceDocument>;

  constructor(
    db: Db,
    private readonly tokens: TokenModel,
    private readonly maxAudiences: number,
  ) {
    this.collection = db.collection<AudienceDocument>(AUDIENCES);
  }

  async get(workspaceId: string, audienceId: string): Promise<AudienceDocument> {
    const audience = await this.collection.findOne({ workspace_id: workspaceId, audience_id: audienceId });
    if (!audience) throw new NotFoundError(`No audience ${audienceId} in this workspace`);
    return audience;
  }

  async page(workspaceId: string, options: { limit: number; after?: string }): Promise<AudienceDocument[]> {
    return this.collection
      .find({ workspace_id: workspaceId, ...(options.after !== undefined ? { audience_id: { $gt: options.after } } : {}) })
      .sort({ audience_id: 1 })
      .limit(options.limit)
      .toArray();
  }

  /** Courier's PUT /audiences/:id: creates the audience, or changes the fields given. A bad filter is a 400 naming each problem. */
  async put(workspaceId: string, audienceId: string, input: AudienceInput, now: Date): Promise<AudienceDocument> {
    const filters = input.filter?.filters;
    if (filters !== undefined || input.operator != null) {
      const existing = await this.collection.findOne({ workspace_id: workspaceId, audience_id: audienceId }, { projection: { filter: 1, operator: 1 } });
      const built = audienceQuery(filters ?? existing?.filter.filters ?? [], input.operator ?? existing?.operator);
      if ('problems' in built) throw new ValidationError(built.problems);
    }
    const set: Partial<AudienceDocument> = {
      updated_at: now,
      ...(input.name != null ? { name: input.name } : {}),
      ...(input.description != null ? { description: input.description } : {}),
      ...(filters !== undefined ? { filter: { filters: filters.map(cleanFilter) } } : {}),
      ...(input.operator != null ? { operator: input.operator } : {}),
    };
    const changesFilter = filters !== undefined || input.operator != null;
    const updated = await this.collection.findOneAndUpdate({ workspace_id: workspaceId, audience_id: audienceId }, { $set: set, ...(changesFilter ? { $inc: { version: 1 } } : {}) }, { returnDocument: 'after' });
    if (updated) return updated;
    const count = await this.collection.countDocuments({ workspace_id: workspaceId }, { limit: this.maxAudiences });
    if (count >= this.maxAudiences) throw new ConflictError(`This workspace has ${this.maxAudiences} audiences, the most it may have (MAX_AUDIENCES); delete one first`);
    const created: AudienceDocument = {
      workspace_id: workspaceId,
      audience_id: audienceId,
      name: input.name ?? audienceId,
      description: input.description ?? '',
      filter: { filters: (filters ?? []).map(cleanFilter) },
      operator: input.operator ?? 'AND',
      version: 1,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.collection.insertOne({ ...created });
      return created;
    } catch {
      // Created meanwhile by a racing request: apply this one's changes to it.
      return this.put(workspaceId, audienceId, input, now);
    }
  }

  async delete(workspaceId: string, audienceId: string): Promise<void> {
    const deleted = await this.collection.deleteOne({ workspace_id: workspaceId, audience_id: audienceId });
    if (deleted.deletedCount === 0) throw new NotFoundError(`No audience ${audienceId} in this workspace`);
  }

  /** How many active tokens the audience matches now (one count over the filter's query: docs/storage.md says which filters an index serves). */
  count(workspaceId: string, audience: AudienceDocument, now: Date): Promise<number> {
    return this.tokens.countDocuments(membersQuery(workspaceId, audience, now)).exec();
  }

  /** A page of the audience's members (active tokens the filter matches), by token _id from after `after`. */
  async members(workspaceId: string, audience: AudienceDocument, now: Date, options: { limit: number; after?: string }): Promise<AudienceMember[]> {
    const query = { ...membersQuery(workspaceId, audience, now), ...(options.after !== undefined ? { _id: { $gt: options.after } } : {}) };
    return this.tokens
      .find(query, { _id: 1, user_id: 1, token: 1, provider_key: 1, 'device.app_id': 1, 'device.platform': 1, created_at: 1 })
      .sort({ _id: 1 })
      .limit(options.limit)
      .lean<AudienceMember[]>()
      .exec();
  }
}

/** The query of an audience's members: the workspace's sendable tokens its filter matches. */
export function membersQuery(workspaceId: string, audience: Pick<AudienceDocument, 'filter' | 'operator'>, now: Date): Query {
  const built = audienceQuery(audience.filter.filters, audience.operator);
  // Stored filters passed this check when written; one that no longer does matches nothing rather than everything.
  const filter = 'query' in built ? built.query : { _id: { $exists: false } };
  // A device's ordinary tokens: Live Activity tokens take only Live Activity pushes.
  return { workspace_id: workspaceId, ...sendable(now), ...kindQuery('device'), ...(Object.keys(filter).length > 0 ? { $and: [filter] } : {}) };
}

export function audienceView(a: AudienceDocument) {
  return { id: a.audience_id, name: a.name, description: a.description, filter: a.filter, operator: a.operator, created_at: a.created_at.toISOString(), updated_at: a.updated_at.toISOString() };
}
