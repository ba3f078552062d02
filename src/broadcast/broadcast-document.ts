import type { Db } from 'mongodb';
import type { FilterNode } from '../audiences/audience-filter';
import type { Notification } from '../providers/provider';
import type { SendOutcome } from '../sender/send-result';

/**
 * The collections of a broadcast (docs/storage.md): one `broadcasts` document per send to a
 * list, a list pattern or an audience; its `broadcast_chunks`, each a range of the target in a
 * stable order that any replica claims through the leased queue; and `broadcast_failures`, one
 * document per token that did not get the message. Delivered tokens are counted on their chunk,
 * never listed.
 */
export type BroadcastTarget =
  | { list_id: string }
  | { list_pattern: string }
  /** The audience's filter as it was when the send began: a change to the audience meanwhile does not move a running send. */
  | { audience_id: string; filter: { filters: FilterNode[] }; operator: 'AND' | 'OR' };

export type BroadcastStatus = 'planning' | 'running' | 'done';

export type BroadcastDocument = {
  /** The broadcast's message id (and the send's requestId). */
  _id: string;
  workspace_id: string;
  target: BroadcastTarget;
  notification: Notification;
  /** Pushes carry a trackingUrl (the message has a tracking key). */
  tracking: boolean;
  status: BroadcastStatus;
  /** Set by POST /messages/:id/cancel: no chunk is dispatched after it. */
  canceled_at?: Date;
  /**
   * Planning is work of the leased queue too: due at `plan_due_at` (the send's time, or its
   * delay's), claimed by one replica, and continued from `cursor` by another if that one dies.
   * Unset once every chunk is planned.
   */
  plan_due_at?: Date;
  /** Where planning goes on from: the last token _id (hex) or user id of the last chunk planned. */
  cursor?: string;
  /** A pattern's lists, as they were when planning began. */
  list_ids?: string[];
  /** Chunks planned so far, and whether that is all of them. */
  chunks: number;
  planned: boolean;
  created_at: Date;
  finished_at?: Date;
  claim?: string;
  attempts?: number;
  last_error?: string;
  expires_at: Date;
};

export type ProviderTally = { delivered: number; invalid: number; rejected: number; retryable: number; skipped: number };
/** What one chunk's send did, per provider key (`none`: tokens no provider was tried for). */
export type ChunkCounts = Record<string, ProviderTally>;

export type ChunkDocument = {
  /** `<broadcast id>:<seq, 8 digits>`: planning the same chunk twice writes one document. */
  _id: string;
  broadcast_id: string;
  workspace_id: string;
  seq: number;
  /** The chunk's range of the target's order: after `after` (exclusive; absent for the first) up to `up_to` (inclusive). */
  after?: string;
  up_to: string;
  /** Tokens in the range when it was planned (for lists: of its users); the progress's total. */
  size: number;
  /** A list chunk's users, so its worker reads their tokens by key. Unset once done. */
  user_ids?: string[];
  /** Due for a worker; unset once done. */
  due_at?: Date;
  /** A replica began handing this chunk's tokens to providers: a later claim knows they may have gone out. */
  dispatching?: boolean;
  done_at?: Date;
  counts?: ChunkCounts;
  /** Tokens that may have had a second copy: this chunk was dispatched by a replica that died before recording it. */
  possibly_duplicated?: number;
  /** The broadcast was canceled before this chunk went out. */
  canceled?: boolean;
  claim?: string;
  attempts?: number;
  last_error?: string;
  expires_at: Date;
};

export type FailureDocument = {
  /** `<broadcast id>:<token id>`: recorded once, however often its chunk is applied. */
  _id: string;
  broadcast_id: string;
  workspace_id: string;
  token_id: string | null;
  user_id: string | null;
  token_hint: string;
  provider_key: string | null;
  app_id: string | null;
  outcome: SendOutcome;
  code: string | null;
  reason: string | null;
  at: Date;
  expires_at: Date;
};

export const BROADCASTS = 'broadcasts';
export const BROADCAST_CHUNKS = 'broadcast_chunks';
export const BROADCAST_FAILURES = 'broadcast_failures';

export async function ensureBroadcastIndexes(db: Db): Promise<void> {
  const broadcasts = db.collection(BROADCASTS);
  await broadcasts.createIndex({ plan_due_at: 1 }, { name: 'plan_due', sparse: true });
  await broadcasts.createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
  const chunks = db.collection(BROADCAST_CHUNKS);
  await chunks.createIndex({ due_at: 1 }, { name: 'due', sparse: true });
  await chunks.createIndex({ broadcast_id: 1, seq: 1 }, { name: 'broadcast_seq' });
  await chunks.createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
  const failures = db.collection(BROADCAST_FAILURES);
  await failures.createIndex({ broadcast_id: 1, _id: 1 }, { name: 'broadcast_failures' });
  await failures.createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
}
