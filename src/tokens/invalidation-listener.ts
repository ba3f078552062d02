import type { Types } from 'mongoose';
import type { ProviderKey } from './token-fields';

/**
 * Whoever must hear of a PATCH that makes a token `failed` (the webhooks' token.invalidated),
 * told before the write and after it, so the event is never lost to a crash in between
 * (services.ts writes it as a send result of kind `patch`, which src/outcomes applies). Sends
 * and Expo receipts need none of this: their results are written after dispatch.
 */
export type InvalidationNotice = {
  tokenId: Types.ObjectId;
  /** The token's revision before the write (the write lands as revision + 1). */
  revision: number;
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
