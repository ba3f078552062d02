import { randomUUID } from 'node:crypto';
import type { RetryConfig } from '../config';
import type { Logger } from '../logger';
import type { DeliveryOutcome, DeliveryResult, Notification, SendOptions } from '../providers/provider';
import type { ProviderKey } from '../tokens/token-fields';
import type { DeliveryStore, SendableToken, SkippedToken } from './delivery-store';
import type { DeliveryGroup, DeliveryPlan, DeliveryRouter, Refusal } from './delivery-router';
import { retryDelayMs } from './retry-policy';
import { crashPoint } from '../crash-points';
import { findMassInvalidations, heldResult, heldText, type GuardPolicy, type HeldGroup } from './invalidation-guard';
import { isCredentialRefusal, isRateAnswer, reasonText, type ReasonCode } from '../providers/reason';
import type { HeldNotice, ResultMessage, ResultToken, SendResultDocument, SendResultStore } from './send-result';
import { PendingResults } from './pending-results';

/** Whom a send reaches: users, named tokens, or the tokens a query matches (a broadcast's chunk: broadcast/). */
export type SendTarget = { userIds?: readonly string[]; tokens?: readonly string[]; where?: Record<string, unknown> };

/**
 * A pace for the send (a broadcast's rate budget): how many of a group's tokens may go now
 * (waiting until some may), and what to do when a provider answers that it is over its rate.
 */
export type SendPace = {
  take: (group: Pick<DeliveryGroup, 'provider' | 'credentialId' | 'rate'>, wanted: number) => Promise<number>;
  slowDown: (group: Pick<DeliveryGroup, 'provider' | 'credentialId'>, retryAfterMs: number | undefined) => Promise<void>;
};

/** Per-send choices: the id to use (the message log's), per-token data (its trackingUrl), and the messages its outcomes belong to. */
export type SendRequestOptions = {
  requestId?: string;
  dataFor?: (token: SendableToken) => Record<string, string> | undefined;
  /** The message each token's outcome belongs to (the message log's id for its recipient). */
  messageFor?: (token: Pick<SendableToken, 'token'> & { user_id: string | null }) => string | undefined;
  /** The messages this send finishes (send-result.ts). */
  messages?: ResultMessage[];
  /** The broadcast this send is a chunk of (send-result.ts). */
  broadcastId?: string;
  /** Sends at this pace (broadcasts); at once otherwise. */
  pace?: SendPace;
  /** How long before another replica may apply the result, when not SEND_APPLY_GRACE. */
  applyGraceMs?: number;
};

export type SendObserver = {
  /** One call per provider answer (attempts included), for metrics. */
  attempt?: (provider: ProviderKey, outcome: DeliveryOutcome, seconds: number, count: number) => void;
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
  /** How long after a send another replica may apply its effects, should its writer not have (send-result.ts). */
  applyGraceMs: number;
};

/** A token its provider adapter gave no result for: nothing is known of it. */
const noAnswer = (token: string): DeliveryResult => ({ token, outcome: 'retryable', reason: 'no_answer' });

/**
 * How one token's result reads in the API's answer: its reason (reason.ts), and whether the
 * guard held it. Only here do codes become prose; send-report.ts adds whether a dead token was
 * kept active, which only the token write knows.
 */
function resultText(result: DeliveryResult): string | null {
  if (result.reason === undefined) return null;
  return [reasonText(result.reason, result.detail), ...(result.held ? [heldText(result.held)] : [])].join('; ');
}

/** What dispatching answered: a final result per token, the credential each was sent with, and its attempts. */
type Dispatched = { finals: Map<string, DeliveryResult>; sentWith: Map<string, string | null>; attempts: Map<string, number> };

/**
 * Plans, dispatches, classifies, and writes one durable send result (send-result.ts): loads
 * the sendable tokens of a target, routes them by provider_key, retries only transient answers
 * with back-off, holds mass invalidations, and records what every token's provider answered.
 * What follows from that record (token writes, the message log, webhooks) is src/outcomes':
 * the sender knows nothing of it.
 */
export class NotificationSender {
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly store: DeliveryStore,
    private readonly router: DeliveryRouter,
    private readonly results: SendResultStore,
    private readonly options: SenderOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.pending = new PendingResults(results, options.logger);
  }

  /**
   * Answers the send's result once it is durable. From the first provider call on, nothing
   * throws: a result that MongoDB would not take is answered all the same (`written` false),
   * and kept trying in the background (`pending`), so no caller ever mistakes a send that went
   * out for one that did not.
   */
  async send(workspaceId: string, target: SendTarget, notification: Notification, request: SendRequestOptions = {}): Promise<{ result: SendResultDocument; written: boolean }> {
    const requestId = request.requestId ?? randomUUID();
    const started = process.hrtime.bigint();
    const elapsedMs = () => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    const { sendable, skipped, plan } = await this.planSend(workspaceId, target);
    const loadMs = elapsedMs();
    const outcomes = await this.dispatch(plan, notification, requestId, request.dataFor, request.pace);
    const guarded = this.holdMassInvalidations(sendable, outcomes.finals);
    const at = this.now();
    const result: SendResultDocument = {
      _id: requestId,
      workspace_id: workspaceId,
      at,
      tokens: this.resultTokens(sendable, skipped, outcomes, request.messageFor),
      held: this.heldNotices(plan, outcomes.finals, guarded),
      messages: request.messages ?? [],
      ...(request.broadcastId !== undefined ? { broadcast_id: request.broadcastId } : {}),
      due_at: new Date(at.getTime() + (request.applyGraceMs ?? this.options.applyGraceMs)),
    };
    const sendMs = elapsedMs() - loadMs;
    const written = await this.pending.write(result);
    crashPoint('send:after-result');
    this.options.logger.info(
      { send_request_id: requestId, workspace_id: workspaceId, token_count: sendable.length, load_ms: loadMs, send_ms: sendMs, record_ms: elapsedMs() - loadMs - sendMs, ...(written ? {} : { result_written: false }) },
      'send dispatched',
    );
    return { result, written };
  }

  /** Whether a send's result was written (and not yet applied and removed). */
  hasResult(requestId: string): Promise<boolean> {
    return this.results.exists(requestId);
  }

  /** Results MongoDB would not take when their send ended, written as soon as it does (pending-results.ts). */
  readonly pending: PendingResults;

  /** Plan: the target's sendable tokens, and which client each goes out through. */
  private async planSend(workspaceId: string, target: SendTarget): Promise<{ sendable: SendableToken[]; skipped: SkippedToken[]; plan: DeliveryPlan }> {
    const { sendable, skipped } = await this.store.loadSendable(workspaceId, { userIds: target.userIds ?? [], tokens: target.tokens ?? [], ...(target.where ? { where: target.where } : {}) }, this.now());
    return { sendable, skipped, plan: await this.router.plan(workspaceId, sendable) };
  }

  /**
   * Dispatch: every group through its client, with retries; one final result per token. A token
   * its adapter answered nothing for is `retryable` (nothing is known of it), never a crash after
   * the notifications already went out.
   */
  private async dispatch(plan: DeliveryPlan, notification: Notification, requestId: string, dataFor: SendRequestOptions['dataFor'], pace: SendPace | undefined): Promise<Dispatched> {
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
          const answered = new Map((await this.sendWithRetries(group, notification, requestId, attempts, { dataFor: tokenData, keysFor }, pace)).map((result) => [result.token, result]));
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

  /** One line per token: sendable ones as their provider answered, then the skipped ones. */
  private resultTokens(sendable: SendableToken[], skipped: SkippedToken[], { finals, sentWith, attempts }: Dispatched, messageFor: SendRequestOptions['messageFor']): ResultToken[] {
    const lines: ResultToken[] = sendable.map((t) => {
      const result = finals.get(t.token) ?? noAnswer(t.token);
      const messageId = messageFor?.(t);
      return {
        token_id: t._id.toHexString(), revision: t.revision, user_id: t.user_id, token: t.token, provider: t.provider_key, app_id: t.device?.app_id ?? null,
        credential_id: sentWith.get(t.token) ?? null, outcome: result.outcome, code: result.reason ?? (result.outcome === 'invalid' ? `${t.provider_key}:invalid` : null),
        reason: resultText(result), attempts: attempts.get(t.token) ?? 0,
        ...(result.providerId !== undefined ? { provider_id: result.providerId } : {}),
        ...(result.receiptId !== undefined ? { receipt_id: result.receiptId } : {}),
        ...(result.invalidSince ? { invalid_since: result.invalidSince } : {}),
        ...(result.outcome === 'delivered' && result.environment === 'sandbox' && t.apns_environment !== 'sandbox' ? { sandbox: true } : {}),
        ...(t.last_used_at ? { last_used_at: t.last_used_at } : {}),
        ...(messageId !== undefined ? { message_id: messageId } : {}),
      };
    });
    for (const s of skipped) {
      const messageId = messageFor?.(s);
      lines.push({ token_id: null, user_id: s.user_id, token: s.token, provider: s.provider_key, app_id: null, outcome: 'skipped', code: null, reason: s.reason, attempts: 0, ...(messageId !== undefined ? { message_id: messageId } : {}) });
    }
    return lines;
  }

  /** What held the send back as a whole: the guard's groups, and each credential a provider refused (by app, credential and reason). */
  private heldNotices(plan: DeliveryPlan, finals: Map<string, DeliveryResult>, guarded: HeldGroup[]): HeldNotice[] {
    const notices: HeldNotice[] = guarded.map((g) => ({ provider: g.provider, appId: null, credentialId: null, reason: g.reason, count: g.count, kind: 'guard' }));
    for (const group of plan.groups) {
      const counts = new Map<ReasonCode, number>();
      for (const { token } of group.tokens) {
        const result = finals.get(token);
        if (result?.outcome === 'rejected' && result.reason && !result.held && isCredentialRefusal(result.reason)) counts.set(result.reason, (counts.get(result.reason) ?? 0) + 1);
      }
      for (const [reason, count] of counts) notices.push({ provider: group.provider, appId: group.label.app ?? null, credentialId: group.credentialId, reason, count, kind: 'credential' });
    }
    return notices;
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
    pace: SendPace | undefined,
  ): Promise<DeliveryResult[]> {
    const { retry, logger, observer } = this.options;
    const key = group.provider;
    const finals: DeliveryResult[] = [];
    let pending = group.tokens.map((t) => t.token);
    for (let attempt = 1; pending.length > 0; attempt++) {
      const started = process.hrtime.bigint();
      for (const token of pending) attempts.set(token, attempt);
      const options = { sendId, ...(perToken.dataFor ? { dataFor: perToken.dataFor } : {}), ...(perToken.keysFor ? { keysFor: perToken.keysFor } : {}) };
      const results = pace ? await this.sendPaced(group, notification, pending, options, pace) : await group.send(notification, pending, options);
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
   * Sends `tokens` as the pace allows, a slice at a time; an answer that the provider is over
   * its rate (a retryable answer with Retry-After, FCM's QUOTA_EXCEEDED, Expo's rate error)
   * slows the whole credential, for every replica (broadcast/rate-budget.ts).
   */
  private async sendPaced(group: DeliveryGroup, notification: Notification, tokens: string[], options: SendOptions, pace: SendPace): Promise<DeliveryResult[]> {
    const results: DeliveryResult[] = [];
    for (let from = 0; from < tokens.length; ) {
      const granted = Math.max(1, await pace.take(group, tokens.length - from));
      const answered = await group.send(notification, tokens.slice(from, from + granted), options);
      results.push(...answered);
      const limited = answered.filter(isRateAnswer);
      if (limited.length > 0) await pace.slowDown(group, Math.max(0, ...limited.map((r) => r.retryAfterMs ?? 0)) || undefined);
      from += granted;
    }
    return results;
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
}
