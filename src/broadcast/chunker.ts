import { Types } from 'mongoose';
import { membersQuery } from '../audiences/audience-store';
import type { ListStore } from '../audiences/list-store';
import type { TokenModel } from '../tokens/token-model';
import { sendable } from '../tokens/token-queries';
import type { BroadcastDocument, BroadcastTarget } from './broadcast-document';

/**
 * A broadcast's target in a stable order, cut into ranges (docs/architecture.md):
 *
 * - an audience: its matching tokens in `_id` order; a chunk is the next `chunkSize` of them,
 *   named by the last one's `_id`;
 * - a list, or the lists a pattern matches: their subscriptions in `user_id` order; a chunk is
 *   the users of the next `chunkSize` subscriptions, named by the last user id. A user on two
 *   of the lists is in one range, so gets the message once.
 *
 * Ranges move by key, never by offset, and nothing reads more than one chunk's keys at a time.
 * The worker reads a range again when it sends it (resolveChunk), so a token registered since
 * planning, inside the range, is sent too.
 */
export type ChunkRange = { after?: string; up_to: string; size: number };
/** What a chunk is sent to: tokens a query matches, or users. */
export type ChunkRecipients = { where: Record<string, unknown> } | { userIds: string[] };

export class Chunker {
  constructor(
    private readonly tokens: TokenModel,
    private readonly lists: ListStore,
    private readonly chunkSize: number,
  ) {}

  /** The range after `cursor`; null when the target has nothing left. */
  async next(broadcast: Pick<BroadcastDocument, 'workspace_id' | 'target' | 'list_ids'>, cursor: string | undefined, now: Date): Promise<ChunkRange | null> {
    const target = broadcast.target;
    if ('audience_id' in target) {
      const query = { ...membersQuery(broadcast.workspace_id, target, now), ...(cursor !== undefined ? { _id: { $gt: new Types.ObjectId(cursor) } } : {}) };
      const ids = await this.tokens.find(query, { _id: 1 }).sort({ _id: 1 }).limit(this.chunkSize).lean<{ _id: Types.ObjectId }[]>().exec();
      if (ids.length === 0) return null;
      return { ...(cursor !== undefined ? { after: cursor } : {}), up_to: ids[ids.length - 1]!._id.toHexString(), size: ids.length };
    }
    const rows = await this.lists.subscriptions
      .find({ workspace_id: broadcast.workspace_id, list_id: { $in: listIdsOf(broadcast) }, ...(cursor !== undefined ? { user_id: { $gt: cursor } } : {}) }, { projection: { _id: 0, user_id: 1 } })
      .sort({ user_id: 1 })
      .limit(this.chunkSize)
      .toArray();
    if (rows.length === 0) return null;
    const users = [...new Set(rows.map((r) => r.user_id))];
    const size = await this.tokens.countDocuments({ workspace_id: broadcast.workspace_id, user_id: { $in: users }, ...sendable(now) }).exec();
    return { ...(cursor !== undefined ? { after: cursor } : {}), up_to: users[users.length - 1]!, size };
  }

  /** Whom a planned range reaches now. */
  async resolve(broadcast: Pick<BroadcastDocument, 'workspace_id' | 'target' | 'list_ids'>, range: Pick<ChunkRange, 'after' | 'up_to'>, now: Date): Promise<ChunkRecipients> {
    const target = broadcast.target;
    if ('audience_id' in target) {
      const ids = { ...(range.after !== undefined ? { $gt: new Types.ObjectId(range.after) } : {}), $lte: new Types.ObjectId(range.up_to) };
      return { where: { ...membersQuery(broadcast.workspace_id, target, now), _id: ids } };
    }
    const userIds = new Set<string>();
    const users = { ...(range.after !== undefined ? { $gt: range.after } : {}), $lte: range.up_to };
    const rows = this.lists.subscriptions.find({ workspace_id: broadcast.workspace_id, list_id: { $in: listIdsOf(broadcast) }, user_id: users }, { projection: { _id: 0, user_id: 1 } });
    for await (const row of rows) userIds.add(row.user_id);
    return { userIds: [...userIds] };
  }
}

/** The lists a list target reaches: its one list, or the pattern's, as they were when planning began. */
function listIdsOf(broadcast: { target: BroadcastTarget; list_ids?: string[] }): string[] {
  return 'list_id' in broadcast.target ? [broadcast.target.list_id] : (broadcast.list_ids ?? []);
}
