import { randomUUID } from 'node:crypto';
import type { RetryConfig } from '../config';
import { errorForLog, type Logger } from '../logger';
import type { DeliveryOutcome, DeliveryResult, Notification, SendOptions } from '../providers/provider';
import type { ProviderKey } from '../tokens/token-fields';
import type { RegistryEvent } from '../tokens/token-registry';
import type { InvalidationListener, InvalidationNotice } from '../tokens/invalidation-listener';
import type { DeliveryStore, Invalidation, SendableToken, SkippedToken } from './delivery-store';
import type { DeliveryGroup, DeliveryPlan, DeliveryRouter, Refusal } from './delivery-router';
import { retryDelayMs } from './retry-policy';
import { crashPoint } from '../crash-points';
import { findMassInvalidations, heldResult, heldText, type GuardPolicy, type HeldGroup } from './invalidation-guard';
import { isCredentialRefusal, reasonText, type ReasonCode } from '../providers/reason';
import type { ExpoTicketStore, NewTicket } from './expo-tickets';

export type SendTarget = { userIds?: readonly string[]; tokens?: readonly string[] };

export type SendOutcome = DeliveryOutcome | 'skipped';
export type SendResult = {
  user_id: string | null;
  token: string;
  provider_key: ProviderKey | null;
  outcome: SendOutcome;
  reason: string | null;
};
export type SendSummary = { delivered: number; invalidated: number; failed: number; skipped: number };
/**
 * What became of one token, for the message log: its result with the reason's code, the
 * provider's own id, how many attempts it took, and whether its invalidation landed.
 */
export type TokenRecord = {
  tokenId: string | null;
  userId: string | null;
  token: string;
  provider: ProviderKey | null;
  appId: string | null;
  outcome: SendOutcome;
  code: ReasonCode | null;
  /** The reason as the API's answer reads it (resultText), or the skip's reason. */
  reason: string | null;
  providerId?: string;
  attempts: number;
  /** A dead answer whose `failed` write landed (not held, not kept active). */
  invalidated: boolean;
  /** An Expo ticket the receipt checker will read. */
  receiptId?: string;
};
/**
 * requestId: unique per send, as Courier's API answers it; the send's log line carries it.
 * `records` follows `results` one for one, for the message log; the API answers without them.
 */
export type SendReport = { requestId: string; results: SendResult[]; summary: SendSummary; records: TokenRecord[] };

/** Per-send choices: the id to use (the message log's), and per-token data (its trackingUrl). */
export type SendRequestOptions = {
  requestId?: string;
  dataFor?: (token: SendableToken) => Record<string, string> | undefined;
  /** Where the Expo tickets of each token point back to (the message log's id for it). */
  messageFor?: (token: SendableToken) => string | undefined;
  /**
   * Told every token's outcome once the providers have answered, while the token writes run;
   * `invalidated` is false in these (the final report says which invalidations landed).
   */
  onDispatched?: (records: TokenRecord[]) => Promise<void>;
};

export type SendObserver = {
  /** One call per provider answer (attempts included), for metrics. */
  attempt?: (provider: ProviderKey, outcome: DeliveryOutcome, seconds: number, count: number) => void;
  event?: (event: RegistryEvent) => void;
  /** Invalidations held by the mass-invalidation guard. */
  held?: (provider: ProviderKey, reason: string, count: number) => void;
};

export type SenderOptions = {
  retry: RetryConfig;
  guard: GuardPolicy;
  logger: Logger;
  observer?: SendObserver;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Where `ok` Expo tickets go for the receipt checker, and how long after the send to ask. */
  expoTickets?: { store: ExpoTicketStore; delayMs: number };
  /**
   * Told of every invalidation before its write, and of which landed after it (the webhook
   * outbox writes its rows before the change: webhooks/outbox.ts). `intend` failing fails the
   * send's record, so no token becomes failed without its event.
   */
  invalidations?: InvalidationListener;
  /**
   * Told, after the providers answered, of what held this send back as a whole: a batch the
   * mass-invalidation guard held, or a credential a provider refused (the webhooks' delivery.held).
   */
  onHeld?: (workspaceId: string, held: HeldNotice[]) => Promise<void>;
};

export type HeldNotice = { provider: ProviderKey; appId: string | null; credentialId: string | null; reason: ReasonCode; count: number; kind: 'guard' | 'credential' };

export type { InvalidationListener, InvalidationNotice } from '../tokens/invalidation-listener';

const KEPT_ACTIVE = 'token changed or was re-registered after the answer; kept active';
/** A token its provider adapter gave no result for: nothing is known of it. */
const noAnswer = (token: string): DeliveryResult => ({ token, outcome: 'retryable', reason: 'no_answer' });

/**
 * How one token's result reads in the API's answer: its reason (reason.ts), then what the
 * service decided on top of the provider's answer: held by the guard, or kept active because
 * the token changed after the answer. Only here do codes become prose.
 */
function resultText(result: DeliveryResult, keptActive: boolean): string | null {
  if (result.reason === undefined) return null;
  const notes = [reasonText(result.reason, result.detail), ...(result.held ? [heldText(result.held)] : []), ...(keptActive ? [KEPT_ACTIVE] : [])];
  return notes.join('; ');
}

/** What dispatching answered: a final result per token, the credential each was sent with, and its attempts. */
type Dispatched = { finals: Map<string, DeliveryResult>; sentWith: Map<string, string | null>; attempts: Map<string, number> };

/**
 * Fan-out: loads the sendable tokens of a target, routes them by provider_key, retries only
 * transient answers with back-off, then writes deliveries and invalidations in bulk and
 * answers one result per token.
 */
export class NotificationSender {
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly store: DeliveryStore,
    private readonly router: DeliveryRouter,
    private readonly options: SenderOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async send(workspaceId: string, target: SendTarget, notification: Notification, request: SendRequestOptions = {}): Promise<SendReport> {
    const requestId = request.requestId ?? randomUUID();
    const started = process.hrtime.bigint();
    const elapsedMs = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    const { sendable, skipped, plan } = await this.planSend(workspaceId, target);
    const loadMs = elapsedMs();
    const outcomes = await this.dispatch(plan, notification, requestId, request.dataFor);
    const held = this.holdMassInvalidations(sendable, outcomes.finals);
    await this.reportHeld(workspaceId, plan, outcomes.finals, held);
    const sendMs = elapsedMs() - loadMs;
    // Whoever listens (the message log) writes the outcomes while the token writes run.
    const [recorded, heard] = await Promise.allSettled([
      this.record(workspaceId, sendable, skipped, outcomes, request.messageFor),
      request.onDispatched?.(this.tokenRecords(sendable, skipped, outcomes, undefined).records),
    ]);
    if (recorded.status === 'rejected') throw recorded.reason;
    if (heard.status === 'rejected') throw heard.reason;
    const { results, summary, records } = recorded.value;
    this.options.logger.info(
      { send_request_id: requestId, workspace_id: workspaceId, token_count: sendable.length, ...summary, load_ms: loadMs, send_ms: sendMs, write_ms: elapsedMs() - loadMs - sendMs },
      'send finished',
    );
    return { requestId, results, summary, records };
  }

  /** Plan: the target's sendable tokens, and which client each goes out through. */
  private async planSend(workspaceId: string, target: SendTarget): Promise<{ sendable: SendableToken[]; skipped: SkippedToken[]; plan: DeliveryPlan }> {
    const { sendable, skipped } = await this.store.loadSendable(workspaceId, { userIds: target.userIds ?? [], tokens: target.tokens ?? [] }, this.now());
    return { sendable, skipped, plan: await this.router.plan(workspaceId, sendable) };
  }

  /**
   * Dispatch: every group through its client, with retries; one final result per token. A token
   * its adapter answered nothing for is `retryable` (nothing is known of it), never a crash after
   * the notifications already went out.
   */
  private async dispatch(plan: DeliveryPlan, notification: Notification, requestId: string, dataFor: SendRequestOptions['dataFor']): Promise<Dispatched> {
    const finals = new Map<string, DeliveryResult>();
    const sentWith = new Map<string, string | null>();
    const attempts = new Map<string, number>();
    for (const { token, code, detail } of plan.refused) finals.set(token.token, { token: token.token, outcome: 'rejected', reason: code, ...(detail !== undefined ? { detail } : {}) });
    this.logRefusals(plan.refused);
    try {
      await Promise.all(
        plan.groups.map(async (group) => {
          const withKeys = group.tokens.some((t) => t.keys);
          const byToken = dataFor || withKeys ? new Map(group.tokens.map((t) => [t.token, t])) : undefined;
          const tokenData = dataFor && byToken ? (token: string) => { const t = byToken.get(token); return t ? dataFor(t) : undefined; } : undefined;
          // Web Push subscriptions carry the keys their payloads are encrypted with.
          const keysFor = withKeys && byToken ? (token: string) => byToken.get(token)?.keys : undefined;
          const answered = new Map((await this.sendWithRetries(group, notification, requestId, attempts, { dataFor: tokenData, keysFor })).map((result) => [result.token, result]));
          for (const { token } of group.tokens) {
            finals.set(token, answered.get(token) ?? noAnswer(token));
            sentWith.set(token, group.credentialId);
          }
          const unanswered = group.tokens.length - group.tokens.filter((t) => answered.has(t.token)).length;
          if (unanswered > 0) this.options.logger.error({ provider: group.provider, ...group.label, count: unanswered }, 'the provider adapter answered no result for some tokens; reported retryable');
        }),
      );
    } finally {
      plan.release();
    }
    return { finals, sentWith, attempts };
  }

  /**
   * One result and one record per token. Before the token writes (`landed` undefined), a dead
   * answer is not yet known to be applied: `invalidated` is false and the reason has no note.
   */
  private tokenRecords(sendable: SendableToken[], skipped: SkippedToken[], { finals, attempts }: Dispatched, landed: Set<string> | undefined): { results: SendResult[]; records: TokenRecord[] } {
    const results: SendResult[] = [];
    const records: TokenRecord[] = [];
    for (const t of sendable) {
      const result = finals.get(t.token) ?? noAnswer(t.token);
      const invalidated = result.outcome === 'invalid' && landed !== undefined && landed.has(t._id.toHexString());
      const reason = resultText(result, result.outcome === 'invalid' && landed !== undefined && !invalidated);
      results.push({ user_id: t.user_id, token: t.token, provider_key: t.provider_key, outcome: result.outcome, reason });
      records.push({
        tokenId: t._id.toHexString(), userId: t.user_id, token: t.token, provider: t.provider_key, appId: t.device?.app_id ?? null,
        outcome: result.outcome, code: result.reason ?? null, reason, attempts: attempts.get(t.token) ?? 0, invalidated,
        ...(result.providerId !== undefined ? { providerId: result.providerId } : {}),
        ...(result.receiptId !== undefined ? { receiptId: result.receiptId } : {}),
      });
    }
    for (const s of skipped) {
      results.push({ user_id: s.user_id, token: s.token, provider_key: s.provider_key, outcome: 'skipped', reason: s.reason });
      records.push({ tokenId: null, userId: s.user_id, token: s.token, provider: s.provider_key, appId: null, outcome: 'skipped', code: null, reason: s.reason, attempts: 0, invalidated: false });
    }
    return { results, records };
  }

  /** Record: deliveries, invalidations (exactly once) and Expo tickets in bulk; then one result per token. */
  private async record(
    workspaceId: string,
    sendable: SendableToken[],
    skipped: SkippedToken[],
    { finals, sentWith, attempts }: Dispatched,
    messageFor: SendRequestOptions['messageFor'],
  ): Promise<{ results: SendResult[]; summary: SendSummary; records: TokenRecord[] }> {
    const writtenAt = this.now();
    const resultOf = (t: SendableToken) => finals.get(t.token) ?? noAnswer(t.token);
    const delivered = sendable.filter((t) => resultOf(t).outcome === 'delivered');
    const invalidations: Invalidation[] = sendable.flatMap((t) => {
      const result = resultOf(t);
      if (result.outcome !== 'invalid') return [];
      return [{ tokenId: t._id, revision: t.revision, provider: t.provider_key, reason: result.reason ?? `${t.provider_key}:invalid`, ...(result.invalidSince ? { invalidSince: result.invalidSince } : {}) }];
    });
    const tickets: NewTicket[] = delivered.flatMap((t) => {
      const receiptId = resultOf(t).receiptId;
      const messageId = receiptId ? messageFor?.(t) : undefined;
      return receiptId ? [{ _id: receiptId, workspace_id: workspaceId, token_id: t._id, token_revision: t.revision, credential_id: sentWith.get(t.token) ?? null, ...(messageId ? { message_id: messageId } : {}) }] : [];
    });
    const listener = this.options.invalidations;
    const intent = listener && invalidations.length > 0 ? await listener.intend(workspaceId, this.notices(sendable, invalidations, messageFor), writtenAt) : undefined;
    crashPoint('invalidation:after-intent');
    const [landed] = await Promise.all([
      this.store.recordInvalid(invalidations, writtenAt),
      this.recordTickets(tickets, writtenAt),
      this.store.recordDelivered(
        delivered.map((t) => ({ _id: t._id, sandbox: resultOf(t).environment === 'sandbox' && t.apns_environment !== 'sandbox' })),
        writtenAt,
      ),
    ]);
    crashPoint('invalidation:after-write');
    if (listener && intent !== undefined) await listener.settle(intent, landed, writtenAt);
    this.reportInvalidations(invalidations, landed);

    const { results, records } = this.tokenRecords(sendable, skipped, { finals, sentWith, attempts }, landed);
    const summary: SendSummary = {
      delivered: delivered.length,
      invalidated: landed.size,
      failed: results.filter((r) => r.outcome === 'rejected' || r.outcome === 'retryable').length + (invalidations.length - landed.size),
      skipped: skipped.length,
    };
    return { results, summary, records };
  }

  private notices(sendable: SendableToken[], invalidations: Invalidation[], messageFor: SendRequestOptions['messageFor']): InvalidationNotice[] {
    const byId = new Map(sendable.map((t) => [t._id.toHexString(), t]));
    return invalidations.map(({ tokenId, provider, reason }) => {
      const t = byId.get(tokenId.toHexString())!;
      return { tokenId, userId: t.user_id, token: t.token, provider, appId: t.device?.app_id ?? null, reason, messageId: messageFor?.(t) ?? null };
    });
  }

  /**
   * The notifications went out whatever happens here, so a failed write is logged, not thrown:
   * an error answer would invite a resend. Those receipts are then not checked.
   */
  private async recordTickets(tickets: NewTicket[], sentAt: Date): Promise<void> {
    const target = this.options.expoTickets;
    if (!target || tickets.length === 0) return;
    try {
      await target.store.record(tickets, sentAt, target.delayMs);
    } catch (error) {
      this.options.logger.error({ count: tickets.length, error: errorForLog(error) }, 'Expo tickets could not be stored; their receipts will not be checked');
    }
  }

  /** What held the send back, to `onHeld`: the guard's groups, and each credential a provider refused (by app, credential and reason). A failure there is logged: the pushes went out. */
  private async reportHeld(workspaceId: string, plan: DeliveryPlan, finals: Map<string, DeliveryResult>, guarded: HeldGroup[]): Promise<void> {
    const listener = this.options.onHeld;
    if (!listener) return;
    const notices: HeldNotice[] = guarded.map((g) => ({ provider: g.provider, appId: null, credentialId: null, reason: g.reason, count: g.count, kind: 'guard' }));
    for (const group of plan.groups) {
      const counts = new Map<ReasonCode, number>();
      for (const { token } of group.tokens) {
        const result = finals.get(token);
        if (result?.outcome === 'rejected' && result.reason && !result.held && isCredentialRefusal(result.reason)) counts.set(result.reason, (counts.get(result.reason) ?? 0) + 1);
      }
      for (const [reason, count] of counts) notices.push({ provider: group.provider, appId: group.label.app ?? null, credentialId: group.credentialId, reason, count, kind: 'credential' });
    }
    if (notices.length === 0) return;
    try {
      await listener(workspaceId, notices);
    } catch (error) {
      this.options.logger.error({ count: notices.length, error: errorForLog(error) }, 'delivery.held events could not be written');
    }
  }

  /** Project-wide failures must never wipe a workspace's tokens (invalidation-guard.ts). */
  private holdMassInvalidations(sendable: readonly SendableToken[], finals: Map<string, DeliveryResult>): HeldGroup[] {
    const results = sendable.flatMap((t) => {
      const result = finals.get(t.token);
      return result ? [{ provider: t.provider_key, result }] : [];
    });
    const groups = findMassInvalidations(results, this.options.guard);
    for (const group of groups) {
      for (const { provider, result } of results) {
        if (provider === group.provider && result.outcome === 'invalid' && result.reason === group.reason) finals.set(result.token, heldResult(result, group));
      }
      this.options.observer?.held?.(group.provider, group.reason, group.count);
      this.options.logger.error(
        { provider: group.provider, reason: group.reason, count: group.count, total: group.total },
        'mass invalidation held: most of this send reported dead for one reason at once, which a misconfiguration produces; tokens left active, check the credentials, app and environment',
      );
    }
    return groups;
  }

  /** Sends, then re-sends only the transient failures, up to retry.maxAttempts attempts in all. */
  private async sendWithRetries(
    group: DeliveryGroup,
    notification: Notification,
    sendId: string,
    attempts: Map<string, number>,
    perToken: Pick<SendOptions, 'dataFor' | 'keysFor'>,
  ): Promise<DeliveryResult[]> {
    const { retry, logger, observer } = this.options;
    const key = group.provider;
    const finals: DeliveryResult[] = [];
    let pending = group.tokens.map((t) => t.token);
    for (let attempt = 1; pending.length > 0; attempt++) {
      const started = process.hrtime.bigint();
      for (const token of pending) attempts.set(token, attempt);
      const results = await group.send(notification, pending, { sendId, ...(perToken.dataFor ? { dataFor: perToken.dataFor } : {}), ...(perToken.keysFor ? { keysFor: perToken.keysFor } : {}) });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const counts = new Map<DeliveryOutcome, number>();
      for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
      for (const [outcome, count] of counts) observer?.attempt?.(key, outcome, seconds, count);
      this.logRejections(group, results);

      const again = attempt < retry.maxAttempts ? results.filter((r) => r.outcome === 'retryable') : [];
      for (const r of results) if (attempt >= retry.maxAttempts || r.outcome !== 'retryable') finals.push(r);
      if (again.length === 0) break;
      const retryAfter = Math.max(0, ...again.map((r) => r.retryAfterMs ?? 0));
      const delay = retryDelayMs(attempt, retry, retryAfter || undefined, this.options.random);
      logger.warn({ provider: key, ...group.label, attempt, retrying: again.length, delay_ms: delay }, 'transient provider answers; retrying');
      await this.sleep(delay);
      pending = again.map((r) => r.token);
    }
    return finals;
  }

  /**
   * Credential, config, routing and payload problems are ours to fix: say so loudly, with the
   * app and credential they concern (DeviceTokenNotForTopic, TopicDisallowed,
   * SENDER_ID_MISMATCH, InvalidProviderToken…), never with tokens.
   */
  private logRejections(group: DeliveryGroup, results: DeliveryResult[]): void {
    const reasons = new Map<string, number>();
    for (const r of results) if (r.outcome === 'rejected') reasons.set(reasonText(r.reason ?? 'no_answer', r.detail), (reasons.get(reasonText(r.reason ?? 'no_answer', r.detail)) ?? 0) + 1);
    for (const [reason, count] of reasons) {
      this.options.logger.error(
        { provider: group.provider, ...group.label, reason, count },
        'provider rejected the send (credentials, configuration, routing or payload); tokens left untouched',
      );
    }
  }

  private logRefusals(refused: Refusal[]): void {
    const reasons = new Map<string, { provider: ProviderKey; count: number }>();
    for (const { token, code, detail } of refused) {
      const reason = reasonText(code, detail);
      const entry = reasons.get(reason) ?? { provider: token.provider_key, count: 0 };
      entry.count++;
      reasons.set(reason, entry);
    }
    for (const [reason, { provider, count }] of reasons) {
      this.options.logger.error({ provider, reason, count }, 'no credential can send these tokens; tokens left untouched');
    }
  }

  private reportInvalidations(invalidations: Invalidation[], landed: Set<string>): void {
    const counts = new Map<string, { provider: ProviderKey; reason: ReasonCode; count: number }>();
    for (const { tokenId, provider, reason } of invalidations) {
      if (!landed.has(tokenId.toHexString())) continue;
      const key = `${provider}\u0000${reason}`;
      const entry = counts.get(key) ?? { provider, reason, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    for (const entry of counts.values()) {
      this.options.observer?.event?.({ type: 'invalidated', ...entry });
      this.options.logger.info({ provider: entry.provider, reason: entry.reason, count: entry.count }, 'tokens invalidated');
    }
  }
}
