import type { Collection, Db } from 'mongodb';
import type { DeliveryOutcome } from '../providers/provider';
import type { ReasonCode } from '../providers/reason';
import { insertIgnoringDuplicates } from '../db/insert-once';
import { LeasedQueue, type Claimed } from '../queue/leased-queue';
import type { ProviderKey } from '../tokens/token-fields';

/**
 * The durable **send result** (collection `send_results`, docs/storage.md): what the providers
 * answered for one send, written once dispatch is over and before any of its effects. It is
 * the one record everything after dispatch reads (docs/architecture.md):
 *
 *   dispatch → send result → effects (src/outcomes: token writes, the message log, webhooks)
 *
 * The sender writes it and knows nothing of what follows. The writer's caller applies its
 * effects at once; a record whose effects were not applied (the writer died, or MongoDB failed
 * after dispatch) is claimed through the leased queue by any replica once `due_at` passes, and
 * applied there. Every effect is keyed, so applying a record twice changes nothing. Once
 * applied, the record is deleted: it holds whole tokens (a token.invalidated event carries
 * one) only for as long as that takes.
 */
export type SendOutcome = DeliveryOutcome | 'skipped';

/** One token's line of a send result. */
export type ResultToken = {
  /** The token's _id (hex); null for a named token that is not registered. */
  token_id: string | null;
  /** The revision it was sent at: its invalidation lands only on that revision. */
  revision?: number;
  user_id: string | null;
  token: string;
  provider: ProviderKey | null;
  app_id: string | null;
  /** The app credential it went out through (null: the instance's client). */
  credential_id?: string | null;
  outcome: SendOutcome;
  code: ReasonCode | null;
  /** The answer's text (resultText): the reason, and whether the guard held it. */
  reason: string | null;
  provider_id?: string;
  attempts: number;
  /** An Expo ticket the receipt checker will read. */
  receipt_id?: string;
  /** An APNs 410's timestamp: the token dies only if not registered again after it. */
  invalid_since?: Date;
  /** An APNs `auto` delivery that only the sandbox accepted. */
  sandbox?: boolean;
  /** The token's `last_used_at` when it was loaded: a delivery rewrites it only when it is older than LAST_USED_INTERVAL. */
  last_used_at?: Date;
  /** The message (src/messages) this token's outcome belongs to. */
  message_id?: string;
};

/** What held a send back as a whole: a batch the mass-invalidation guard held, or a credential a provider refused. */
export type HeldNotice = { provider: ProviderKey; appId: string | null; credentialId: string | null; reason: ReasonCode; count: number; kind: 'guard' | 'credential' };

/** A message of the message log that this send finishes, and whom it was for: a user, one named token, a Live Activity's tokens, or a broadcast channel. */
export type ResultMessage = { id: string } & ({ user_id: string } | { token: string } | { activity_id: string } | { channel_id: string });

export type SendResultDocument = {
  /** The send's requestId (one delayed message's id, for the scheduler's sends); `receipts:…` for a batch of Expo receipts. */
  _id: string;
  /**
   * Absent for a send. `receipts`: a batch of Expo receipts read later (sender/expo-receipts.ts).
   * `patch`: a PATCH making a token `failed`, written before its token write; applying it only
   * asks whether that write landed (at `at`, one revision on), and writes token.invalidated if so.
   */
  kind?: 'receipts' | 'patch';
  workspace_id: string;
  /** When the providers had answered: every effect's write carries this time, so re-applying writes the same. */
  at: Date;
  tokens: ResultToken[];
  held: HeldNotice[];
  messages: ResultMessage[];
  /** When any replica may apply it (its writer applies it at once; this is for a writer that could not). */
  due_at: Date;
  /** A broadcast chunk's result (src/broadcast): its messages' Expo receipts are not written onto the one message. */
  broadcast_id?: string;
  /** Set once the message log's step is applied (src/outcomes): a second application skips it. */
  messages_applied?: boolean;
  claim?: string;
  attempts?: number;
  last_error?: string;
};
export type ClaimedResult = Claimed<SendResultDocument>;

export const SEND_RESULTS_COLLECTION = 'send_results';

export async function ensureSendResultIndexes(db: Db): Promise<void> {
  await db.collection(SEND_RESULTS_COLLECTION).createIndex({ due_at: 1 }, { name: 'due' });
}

/** How a send's effects went: applied (with the invalidations that landed), or left to the queue. */
export type Applied = { applied: true; landed: ReadonlySet<string> } | { applied: false };

/** Whoever applies a send result's effects (src/outcomes); the sender's callers wait on it. */
export type ResultApplier = (result: SendResultDocument) => Promise<Applied>;

export class SendResultStore {
  readonly collection: Collection<SendResultDocument>;
  readonly queue: LeasedQueue<SendResultDocument>;

  constructor(db: Db) {
    this.collection = db.collection<SendResultDocument>(SEND_RESULTS_COLLECTION);
    this.queue = new LeasedQueue(this.collection, 'due_at');
  }

  /** Written once; a second write of the same result (a retry of the write itself) is no change. */
  async write(result: SendResultDocument): Promise<void> {
    await insertIgnoringDuplicates(this.collection, [result]);
  }

  /** Its effects are applied: the record goes. */
  async remove(id: string): Promise<void> {
    await this.collection.deleteOne({ _id: id });
  }

  async exists(id: string): Promise<boolean> {
    return (await this.collection.countDocuments({ _id: id }, { limit: 1 })) > 0;
  }

  /** For /metrics: results whose effects wait. */
  pending(): Promise<number> {
    return this.collection.estimatedDocumentCount();
  }
}
