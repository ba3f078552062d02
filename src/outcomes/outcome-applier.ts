import { Types } from 'mongoose';
import { errorForLog, type Logger } from '../logger';
import { linesOf, messageWrite } from '../messages/message-outcome';
import type { MessageStatus } from '../messages/message-status';
import type { MessageStore } from '../messages/message-store';
import type { DeliveryStore, Invalidation } from '../sender/delivery-store';
import type { ExpoTicketStore, NewTicket } from '../sender/expo-tickets';
import type { Applied, ResultToken, SendResultDocument, SendResultStore } from '../sender/send-result';
import type { RegistryEvent } from '../tokens/token-registry';
import type { Outbox } from '../webhooks/outbox';
import { deliveryHeld, derivedEventId, tokenInvalidated } from '../webhooks/events';
import { crashPoint } from '../crash-points';

export type ApplierOptions = {
  logger: Logger;
  /** EXPO_RECEIPT_DELAY: when the receipt checker first asks about a ticket. */
  expoReceiptDelayMs: number;
  /** LAST_USED_INTERVAL: a delivery rewrites `last_used_at` only if it is older than this. */
  lastUsedIntervalMs: number;
  observer?: { event?: (event: RegistryEvent) => void; messageStatus?: (status: MessageStatus, count: number) => void };
};

/** delivery.held: at most once per credential (or, for the guard, provider) and reason per 10 minutes. */
const HELD_WINDOW_MS = 10 * 60_000;

/**
 * Applies a send result's effects (sender/send-result.ts), in order, each keyed so that
 * applying the same result twice changes nothing:
 *
 * 1. **Tokens.** Dead tokens become `failed` only at the revision they were sent at, with the
 *    result's time as `updated_at`, so which invalidations landed can be asked again and gets
 *    the same answer (DeliveryStore.recordInvalid). Delivered tokens get `last_used_at` when
 *    theirs is older than LAST_USED_INTERVAL. Expo tickets are inserted by their id.
 * 2. **The message log.** Each message's outcome, with a TOKEN_INVALIDATED event per landed
 *    invalidation, in one write conditional on the message still being ENQUEUED; then
 *    `messages_applied` on the result, so a second application skips this step (the per-day
 *    counts and message.updated are not keyed on their own).
 * 3. **Webhooks.** token.invalidated per landed invalidation and delivery.held, with event ids
 *    derived from the result, so a row written twice is one row.
 * 4. The result is deleted.
 *
 * A crash anywhere leaves the result in `send_results`, where the outcomes queue
 * (outcome-queue.ts) finds it once `due_at` passes.
 */
export class OutcomeApplier {
  constructor(
    private readonly results: SendResultStore,
    private readonly deliveries: DeliveryStore,
    private readonly tickets: ExpoTicketStore,
    private readonly messages: MessageStore,
    private readonly outbox: Outbox,
    private readonly options: ApplierOptions,
  ) {}

  /** Applies now; never throws: what failed stays in `send_results` for the queue. */
  readonly apply = async (result: SendResultDocument): Promise<Applied> => {
    try {
      return { applied: true, landed: await this.applyAll(result) };
    } catch (error) {
      this.options.logger.error({ send_request_id: result._id, error: errorForLog(error) }, "a send's effects could not be applied now; the outcomes queue applies them");
      return { applied: false };
    }
  };

  /** Every step, then the result goes. Answers the token ids (hex) whose invalidation landed. */
  async applyAll(result: SendResultDocument & { messages_applied?: boolean }): Promise<Set<string>> {
    const landed = await this.applyTokens(result);
    crashPoint('outcomes:after-tokens');
    if (!result.messages_applied && (result.messages.length > 0 || result.kind === 'receipts')) {
      await (result.kind === 'receipts' ? this.applyReceipts(result, landed) : this.applyMessages(result, landed));
      await this.results.collection.updateOne({ _id: result._id }, { $set: { messages_applied: true } });
    }
    await this.applyWebhooks(result, landed);
    await this.results.remove(result._id);
    this.count(result, landed);
    return landed;
  }

  private async applyTokens(result: SendResultDocument): Promise<Set<string>> {
    const invalidations: Invalidation[] = result.tokens.flatMap((t) =>
      t.outcome === 'invalid' && t.token_id !== null && t.provider !== null && t.revision !== undefined
        ? [{ tokenId: new Types.ObjectId(t.token_id), revision: t.revision, provider: t.provider, reason: t.code ?? `${t.provider}:invalid`, ...(t.invalid_since ? { invalidSince: t.invalid_since } : {}) }]
        : [],
    );
    const stale = result.at.getTime() - this.options.lastUsedIntervalMs;
    // A receipt's `ok` is not a delivery of ours: only a send touches last_used_at and stores tickets.
    const delivered = result.kind === 'receipts' ? [] : result.tokens.filter((t) => t.outcome === 'delivered' && t.token_id !== null);
    const touched = delivered.filter((t) => t.sandbox || t.last_used_at === undefined || t.last_used_at.getTime() <= stale);
    // A broadcast's receipts are not written onto its one message, a write per token on one document.
    const broadcast = result.broadcast_id !== undefined;
    const tickets: NewTicket[] = delivered.flatMap((t) =>
      t.receipt_id
        ? [{ _id: t.receipt_id, workspace_id: result.workspace_id, token_id: new Types.ObjectId(t.token_id!), token_revision: t.revision ?? 0, credential_id: t.credential_id ?? null, ...(t.message_id && !broadcast ? { message_id: t.message_id } : {}) }]
        : [],
    );
    // A PATCH wrote its token itself; its result only asks whether that write landed.
    if (result.kind === 'patch') return this.deliveries.landed(invalidations, result.at);
    const [landed] = await Promise.all([
      this.deliveries.recordInvalid(invalidations, result.at),
      this.deliveries.recordDelivered(touched.map((t) => ({ _id: new Types.ObjectId(t.token_id!), ...(t.sandbox ? { sandbox: true } : {}) })), result.at),
      this.tickets.record(tickets, result.at, this.options.expoReceiptDelayMs),
    ]);
    return landed;
  }

  private async applyMessages(result: SendResultDocument, landed: ReadonlySet<string>): Promise<void> {
    const writes = result.messages.map((message) => ({ id: message.id, workspaceId: result.workspace_id, write: messageWrite(linesOf(message, result.tokens), landed, result.at) }));
    await this.messages.finish(writes);
    const counts = new Map<MessageStatus, number>();
    for (const { write } of writes) counts.set(write.status, (counts.get(write.status) ?? 0) + 1);
    for (const [status, count] of counts) this.options.observer?.messageStatus?.(status, count);
  }

  /** Expo receipts: a RECEIPT event on each ticket's message (and TOKEN_INVALIDATED when it killed the token), and the token's entry. */
  private async applyReceipts(result: SendResultDocument, landed: ReadonlySet<string>): Promise<void> {
    await this.messages.recordReceipts(
      result.tokens.flatMap((t) =>
        t.message_id && t.token_id
          ? [{ messageId: t.message_id, tokenId: t.token_id, ok: t.outcome === 'delivered', ...(t.code ? { reason: t.code } : {}), invalidated: t.outcome === 'invalid' && landed.has(t.token_id), ts: result.at }]
          : [],
      ),
    );
  }

  private async applyWebhooks(result: SendResultDocument, landed: ReadonlySet<string>): Promise<void> {
    const dead = result.tokens.filter((t) => t.outcome === 'invalid' && t.token_id !== null && t.user_id !== null && landed.has(t.token_id));
    const events = dead.map((t) => ({
      ...tokenInvalidated({ user_id: t.user_id!, token: t.token, provider_key: t.provider!, app_id: t.app_id, reason: t.code, message_id: t.message_id ?? null }, result.at),
      id: derivedEventId(result._id, 'token.invalidated', t.token_id!),
    }));
    if (events.length > 0) await this.outbox.add(result.workspace_id, events, result.at);
    for (const h of result.held) {
      const key = `${h.credentialId ?? `instance:${h.provider}`}:${h.reason}`;
      const event = { ...deliveryHeld({ provider_key: h.provider, app_id: h.appId, credential_id: h.credentialId, reason: h.reason, count: h.count }, result.at), id: derivedEventId(result._id, 'delivery.held', key) };
      await this.outbox.addThrottled(result.workspace_id, key, event, result.at, HELD_WINDOW_MS);
    }
  }

  /** Metrics and the log line, per provider and reason: a provider's verdicts only (a PATCH is the customer's own). */
  private count(result: SendResultDocument, landed: ReadonlySet<string>): void {
    if (result.kind === 'patch') return;
    const counts = new Map<string, { provider: NonNullable<ResultToken['provider']>; reason: string; count: number }>();
    for (const t of result.tokens) {
      if (t.outcome !== 'invalid' || t.token_id === null || !landed.has(t.token_id) || t.provider === null) continue;
      const reason = t.code ?? `${t.provider}:invalid`;
      const key = `${t.provider}\u0000${reason}`;
      const entry = counts.get(key) ?? { provider: t.provider, reason, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    for (const entry of counts.values()) {
      this.options.observer?.event?.({ type: 'invalidated', ...entry });
      this.options.logger.info({ provider: entry.provider, reason: entry.reason, count: entry.count }, result.kind === 'receipts' ? 'tokens invalidated by Expo receipts' : 'tokens invalidated');
    }
  }
}
