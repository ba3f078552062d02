import { Types } from 'mongoose';
import { membersQuery } from '../audiences/audience-store';
import type { ListStore } from '../audiences/list-store';
import type { TokenModel } from '../tokens/token-model';
import { sendable } from '../tokens/token-queries';
import type { BroadcastDocument, BroadcastTarget, ChunkDocument } from './broadcast-document';

/**
 * A broadcast's target in a stable order, cut into chunks (docs/architecture.md):
 *
 * - an audience: its matching tokens in `_id` order; a chunk is the next `chunkSize` of them;
 * - a list, or the lists a pattern matches: their subscriptions in `user_id` order; a chunk is
 *   the users of the next `chunkSize` subscriptions. A user on two of the lists is in one
 *   chunk, so gets the message once.
 *
 * Each chunk records the range it covers, by key, so planning resumes after the last chunk
 * written, never by offset; its worker reads the range again (an audience's) or its users (a
 * list's, kept on the chunk until it is done). Planning
 * reads a batch of chunks through one cursor, a chunk's keys at a time: nothing holds more than
 * one chunk of the target.
 */
export type ChunkRange = Pick<ChunkDocument, 'after' | 'up_to' | 'size' | 'user_ids'>;
/** What a chunk is sent to: tokens a query matches, or users. */
export type ChunkRecipients = { where: Record<string, unknown> } | { userIds: string[] };
type Target = Pick<BroadcastDocument, 'workspace_id' | 'target' | 'list_ids'>;

export class Chunker {
  constructor(
    private readonly tokens: TokenModel,
    private readonly lists: ListStore,
    readonly chunkSize: number,
  ) {}

  /** Up to `count` chunks after `cursor`, in order; fewer when the target ends. */
  async *next(broadcast: Target, cursor: string | undefined, now: Date, count: number): AsyncGenerator<ChunkRange> {
    if ('audience_id' in broadcast.target) yield* this.audienceChunks(broadcast, cursor, now, count);
    else yield* this.listChunks(broadcast, cursor, now, count);
  }

  private async *audienceChunks(broadcast: Target, cursor: string | undefined, now: Date, count: number): AsyncGenerator<ChunkRange> {
    const target = broadcast.target as Extract<BroadcastTarget, { audience_id: string }>;
    const query = { ...membersQuery(broadcast.workspace_id, target, now), ...(cursor !== undefined ? { _id: { $gt: new Types.ObjectId(cursor) } } : {}) };
    const rows = this.tokens.find(query, { _id: 1 }).sort({ _id: 1 }).limit(count * this.chunkSize).lean<{ _id: Types.ObjectId }[]>().cursor({ batchSize: this.chunkSize });
    let after = cursor;
    let size = 0;
    let last: Types.ObjectId | undefined;
    for await (const row of rows) {
      size++;
      last = row._id;
      if (size === this.chunkSize) {
        const up_to = row._id.toHexString();
        yield { ...(after !== undefined ? { after } : {}), up_to, size };
        [after, size] = [up_to, 0];
      }
    }
    if (size > 0) yield { ...(after !== undefined ? { after } : {}), up_to: last!.toHexString(), size };
  }

  private async *listChunks(broadcast: Target, cursor: string | undefined, now: Date, count: number): AsyncGenerator<ChunkRange> {
    const rows = this.lists.subscriptions
      .find({ workspace_id: broadcast.workspace_id, list_id: { $in: listIdsOf(broadcast) }, ...(cursor !== undefined ? { user_id: { $gt: cursor } } : {}) }, { projection: { _id: 0, user_id: 1 }, batchSize: this.chunkSize })
      .sort({ user_id: 1 })
      .limit(count * this.chunkSize);
    let after = cursor;
    let users: string[] = [];
    let seen = 0;
    const cut = async (): Promise<ChunkRange> => {
      const up_to = users[users.length - 1]!;
      const size = await this.tokens.countDocuments({ workspace_id: broadcast.workspace_id, user_id: { $in: users }, ...sendable(now) }).exec();
      const chunk = { ...(after !== undefined ? { after } : {}), up_to, size, user_ids: users };
      [after, users, seen] = [up_to, [], 0];
      return chunk;
    };
    for await (const { user_id } of rows) {
      // A user on several of the lists comes once per list, in a row: in one chunk only.
      if (users[users.length - 1] === user_id || (after !== undefined && user_id <= after)) continue;
      if (seen >= this.chunkSize) yield await cut();
      users.push(user_id);
      seen++;
    }
    if (users.length > 0) yield await cut();
  }

  /** Whom a planned chunk reaches: its tokens (still matching, still sendable), or its users. */
  resolve(broadcast: Target, chunk: Pick<ChunkDocument, 'after' | 'up_to' | 'user_ids'>, now: Date): ChunkRecipients {
    if ('audience_id' in broadcast.target) {
      // The range, read with the filter: a token registered since planning, inside it, is sent too.
      const ids = { ...(chunk.after !== undefined ? { $gt: new Types.ObjectId(chunk.after) } : {}), $lte: new Types.ObjectId(chunk.up_to) };
      return { where: { ...membersQuery(broadcast.workspace_id, broadcast.target, now), _id: ids } };
    }
    return { userIds: chunk.user_ids ?? [] };
  }
}

/** The lists a list target reaches: its one list, or the pattern's, as they were when planning began. */
function listIdsOf(broadcast: { target: BroadcastTarget; list_ids?: string[] }): string[] {
  return 'list_id' in broadcast.target ? [broadcast.target.list_id] : (broadcast.list_ids ?? []);
}
