import type { ReasonCode } from '../providers/reason';
import type { SendResultDocument, SendResultStore } from '../sender/send-result';
import type { InvalidationListener } from '../tokens/invalidation-listener';
import type { OutcomeApplier } from './outcome-applier';

/**
 * A PATCH to `failed` as a send result of kind `patch` (send-result.ts): written before the
 * token write, applied after it, and, if the process dies in between, applied by the outcomes
 * queue, which then asks the token whether the write landed. One recovery path for every
 * token.invalidated.
 */
export function patchInvalidations(results: SendResultStore, outcomes: OutcomeApplier, graceMs: number): InvalidationListener {
  return {
    intend: async (workspaceId, notices, at) => {
      const result: SendResultDocument = {
        _id: `patch:${notices.map((n) => `${n.tokenId.toHexString()}@${n.revision}`).join(',')}`,
        kind: 'patch',
        workspace_id: workspaceId,
        at,
        tokens: notices.map((n) => ({ token_id: n.tokenId.toHexString(), revision: n.revision, user_id: n.userId, token: n.token, provider: n.provider, app_id: n.appId, outcome: 'invalid', code: n.reason as ReasonCode | null, reason: n.reason, attempts: 0 })),
        held: [],
        messages: [],
        due_at: new Date(at.getTime() + graceMs),
      };
      await results.write(result);
      return result;
    },
    settle: async (intent) => {
      await outcomes.apply(intent as SendResultDocument);
    },
  };
}
