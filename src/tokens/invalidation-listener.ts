import type { Types } from 'mongoose';
import type { ProviderKey } from './token-fields';

/**
 * Whoever must hear of every token that becomes `failed` (the webhooks' token.invalidated),
 * told before the write and of whether it landed after it, so an event is written before or
 * with its change and never lost to a crash in between (webhooks/outbox.ts). The sender, the
 * Expo receipt checker and a PATCH to `failed` all tell it.
 */
export type InvalidationNotice = {
  tokenId: Types.ObjectId;
  userId: string;
  token: string;
  provider: ProviderKey;
  appId: string | null;
  /** The token's status_reason once failed (null when a PATCH set none). */
  reason: string | null;
  messageId: string | null;
};
export type InvalidationListener = {
  intend: (workspaceId: string, notices: InvalidationNotice[], at: Date) => Promise<unknown>;
  /** `landed`: the token ids (hex) whose write landed. */
  settle: (intent: unknown, landed: ReadonlySet<string>, at: Date) => Promise<void>;
};
