import type { Db } from 'mongodb';
import type { ProviderKey } from '../tokens/token-fields';
import type { SendOutcome } from '../sender/send-result';
import type { MessageReason, MessageStatus } from './message-status';

/**
 * The `messages` collection (docs/storage.md): one document per recipient of a POST /send, the
 * unit of the message log, history, tracking and delayed sends. Admin scripts read it, so every
 * field is documented there. Times are Dates here and epoch milliseconds in the API.
 */
export type TokenEntry = {
  /** The token's _id in `tokens` (null for a named token that was not registered). */
  token_id: string | null;
  provider_key: ProviderKey | null;
  /**
   * The token's last 4 characters (`****1234`), never the whole token: the log is kept 30 days,
   * and a copy of every token in it would be a second place to leak them from. A key with
   * tokens:read sees the whole token, read from `tokens` by token_id while it still exists.
   */
  token_hint: string;
  outcome: SendOutcome;
  /** The reason as POST /send answers it; null when delivered. */
  reason: string | null;
  /** apns-id, FCM message name, Expo ticket id or OneSignal notification id. */
  provider_id?: string;
  attempts: number;
  app_id: string | null;
  /** Expo: what the receipt said, once the checker read it. */
  receipt?: { status: 'ok' | 'error'; reason?: string; ts: Date };
};

export type HistoryEvent = { ts: Date; type: string } & Record<string, unknown>;

export type ProviderCounts = { provider: string; delivered: number; invalid: number; rejected: number; retryable: number };

export type MessageDocument = {
  /** The message id: the send's requestId when it had one recipient. */
  _id: string;
  workspace_id: string;
  /** The send's requestId (GET /messages?messageId= lists a send's messages by it). */
  request_id: string;
  /** The user id, the masked token for a token recipient, an activity or channel id, or a broadcast's list id, list pattern or audience id. */
  recipient: string;
  recipient_type: 'user' | 'token' | 'activity_id' | 'channel_id' | 'list_id' | 'list_pattern' | 'audience_id';
  status: MessageStatus;
  reason: MessageReason | null;
  error: string | null;
  enqueued: Date;
  sent?: Date;
  delivered?: Date;
  opened?: Date;
  clicked?: Date;
  canceled?: Date;
  /** Delayed sends: when it was asked to go out (the scheduler's row is in `scheduled_sends` until then). */
  deliver_at?: Date;
  /** Provider keys used, for the `provider` filter. */
  provider_keys: string[];
  providers: ProviderCounts[];
  /** The first 100 tokens' entries. */
  tokens: TokenEntry[];
  /** Tokens beyond the first 100, counted by outcome. */
  tokens_omitted?: Partial<Record<SendOutcome, number>>;
  history: HistoryEvent[];
  /** READ and UNREAD events recorded (at most MAX_READ_EVENTS are kept). */
  read_events?: number;
  /** Signs the message's tracking URLs (tracking.ts); absent when tracking is off. Never shown. */
  tracking_key?: string;
  /** The TTL index deletes the message then (MESSAGE_RETENTION after enqueued). */
  expires_at: Date;
};

export const MESSAGES = 'messages';
/** Token entries kept per message; the rest are counted. */
export const MAX_TOKEN_ENTRIES = 100;
/**
 * History events kept per message, a hard bound. Status changes, receipts and invalidations
 * fit well within it (each bounded by the message's tokens, at most MAX_TOKEN_ENTRIES of
 * TOKEN_INVALIDATED); READ and UNREAD, which a device may post without end, have a bound of
 * their own, MAX_READ_EVENTS, so they can never crowd out a later status change.
 */
export const MAX_HISTORY_EVENTS = 500;
export const MAX_READ_EVENTS = 50;

export async function ensureMessageIndexes(db: Db): Promise<void> {
  const messages = db.collection(MESSAGES);
  await messages.createIndex({ workspace_id: 1, enqueued: -1, _id: -1 }, { name: 'workspace_enqueued' });
  await messages.createIndex({ workspace_id: 1, request_id: 1 }, { name: 'workspace_request' });
  await messages.createIndex({ workspace_id: 1, recipient: 1, enqueued: -1 }, { name: 'workspace_recipient' });
  await messages.createIndex({ expires_at: 1 }, { name: 'expires_at_ttl', expireAfterSeconds: 0 });
}
