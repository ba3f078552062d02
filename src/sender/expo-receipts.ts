import { errorForLog, type Logger } from '../logger';
import { PeriodicJob } from '../queue/periodic-job';
import type { DeliveryResult } from '../providers/provider';
import { classifyReceipt, type ExpoReceipt } from '../providers/expo-classification';
import { reasonText } from '../providers/reason';
import type { ExpoReceiptSource } from '../providers/expo-provider';
import type { DeliveryStore, Invalidation } from './delivery-store';
import type { Applied, ResultApplier, ResultToken, SendResultDocument, SendResultStore } from './send-result';
import { EXPO_RECEIPT_RETENTION_MS, type ClaimedTicket, type ExpoTicketStore } from './expo-tickets';
import { findMassInvalidations, type GuardPolicy } from './invalidation-guard';

/**
 * Reads Expo's receipts for the tickets the sender stored, inside the service, every
 * `intervalMs`; a ticket is first asked about `delayMs` after its send (EXPO_RECEIPT_DELAY,
 * 15 minutes by default, as Expo advises). Per receipt:
 * - ok: done.
 * - DeviceNotRegistered: the token becomes `failed`, by the sender's own exactly-once rule:
 *   only if it is still active at the revision it was sent at, so a token re-registered since
 *   the send stays active. The mass-invalidation guard applies per pass and credential.
 *   Each batch's answers become one result (send-result.ts), applied like a send's: the token
 *   writes, RECEIPT and TOKEN_INVALIDATED in the message log, and token.invalidated.
 * - Any other error: done, counted by outcome and logged by reason (nothing to retry: the
 *   send is long over, and resending on a receipt's say-so risks duplicates).
 * - No receipt yet: asked again next interval; still none 24 hours after the send (Expo has
 *   dropped it by then): counted as missing, logged, and the token left alone.
 * Replicas share the work through the leased queue (queue/leased-queue.ts), never doubling it,
 * and a PeriodicJob (queue/periodic-job.ts) runs the passes.
 */
export type ReceiptOutcome = 'ok' | 'invalidated' | 'kept_active' | 'held' | 'retryable' | 'rejected' | 'missing' | 'not_ready' | 'unavailable';
export type ReceiptPassReport = Record<ReceiptOutcome, number>;
/** One answered receipt, for the message its ticket was sent for. `invalidated`: its token became failed by it. */
export type ReceiptRecord = { messageId: string; tokenId: string; ok: boolean; reason?: string; invalidated: boolean; ts: Date };

/** A receipt reader for the credential that sent a ticket (null: the instance-wide client). */
export type ReceiptSources = (workspaceId: string, credentialId: string | null) => Promise<{ source: ExpoReceiptSource; release: () => void } | { problem: string }>;

export type ReceiptCheckerOptions = {
  delayMs: number;
  intervalMs: number;
  guard: GuardPolicy;
  logger: Logger;
  observer?: { checked?: (outcome: ReceiptOutcome, count: number) => void; held?: (reason: string, count: number) => void };
  /** Applies a batch's result (src/outcomes): the token writes, the message log's receipts, token.invalidated. */
  apply: ResultApplier;
  /** SEND_APPLY_GRACE: when another replica may apply a result this checker could not. */
  applyGraceMs: number;
  now?: () => Date;
  /** How long a claim keeps other replicas off a batch (a replica that dies mid-pass frees it then). */
  claimMs?: number;
};

const BATCH = 1000; // Expo's getReceipts limit
const DEFAULT_CLAIM_MS = 5 * 60_000;

export class ExpoReceiptChecker extends PeriodicJob<ReceiptPassReport> {
  constructor(
    private readonly tickets: ExpoTicketStore,
    private readonly deliveries: DeliveryStore,
    private readonly results: SendResultStore,
    private readonly sources: ReceiptSources,
    private readonly options: ReceiptCheckerOptions,
  ) {
    super({ name: 'Expo receipt check', intervalMs: options.intervalMs, logger: options.logger, now: options.now });
  }

  protected async pass(): Promise<ReceiptPassReport> {
    const report: ReceiptPassReport = { ok: 0, invalidated: 0, kept_active: 0, held: 0, retryable: 0, rejected: 0, missing: 0, not_ready: 0, unavailable: 0 };
    for (;;) {
      const now = this.now();
      const claimed = await this.tickets.queue.claimDue(now, BATCH, this.options.claimMs ?? DEFAULT_CLAIM_MS);
      if (claimed.length === 0) break;
      const groups = new Map<string, ClaimedTicket[]>();
      for (const ticket of claimed) {
        const key = JSON.stringify([ticket.workspace_id, ticket.credential_id]);
        groups.set(key, [...(groups.get(key) ?? []), ticket]);
      }
      // Each group's lease is renewed before and while it is checked: a slow Expo or MongoDB never lets another replica take it meanwhile.
      const leaseMs = this.options.claimMs ?? DEFAULT_CLAIM_MS;
      for (const group of groups.values()) {
        await this.tickets.queue.whileAllHeld(group[0]!.claim, group.map((t) => t._id), leaseMs, this.now, async (held) => {
          const ours = new Set(held);
          await this.checkGroup(group.filter((t) => ours.has(t._id)), this.now(), report);
        });
      }
      if (claimed.length < BATCH) break;
    }
    for (const [outcome, count] of Object.entries(report) as [ReceiptOutcome, number][]) if (count > 0) this.options.observer?.checked?.(outcome, count);
    // A pass that only found receipts not ready yet is routine: not worth a line at info every interval.
    const { not_ready: _waiting, ...answered } = report;
    if (Object.values(answered).some((count) => count > 0)) this.options.logger.info({ ...report }, 'Expo receipts checked');
    else if (report.not_ready > 0) this.options.logger.debug({ ...report }, 'Expo receipts not ready yet');
    return report;
  }

  /** One claim's tickets of one workspace and credential (a claim spans every group of its batch). */
  private async checkGroup(tickets: ClaimedTicket[], now: Date, report: ReceiptPassReport): Promise<void> {
    const { workspace_id: workspaceId, credential_id: credentialId, claim } = tickets[0]!;
    const ids = tickets.map((t) => t._id);
    const later = new Date(now.getTime() + this.options.intervalMs);
    const reader = await this.sources(workspaceId, credentialId).catch((error: unknown) => ({ problem: (error as Error).message }));
    let receipts: Record<string, ExpoReceipt>;
    if ('problem' in reader) {
      this.options.logger.error({ workspace_id: workspaceId, credential: credentialId, count: ids.length, problem: reader.problem }, 'no Expo client can read these receipts; asking again later');
      report.unavailable += ids.length;
      await this.tickets.queue.retry(claim, ids, later, reader.problem);
      return;
    }
    try {
      receipts = await reader.source.receipts(ids);
    } catch (error) {
      this.options.logger.warn({ workspace_id: workspaceId, credential: credentialId, count: ids.length, error: errorForLog(error) }, 'Expo receipts could not be read; asking again later');
      report.unavailable += ids.length;
      await this.tickets.queue.retry(claim, ids, later, errorForLog(error).message as string);
      return;
    } finally {
      if (!('problem' in reader)) reader.release();
    }

    const done: string[] = [];
    const notReady: string[] = [];
    const answered: { ticket: ClaimedTicket; result: DeliveryResult }[] = [];
    let delivered = 0;
    const errors = new Map<string, number>();
    let missing = 0;
    for (const ticket of tickets) {
      const receipt = receipts[ticket._id];
      if (!receipt) {
        if (now.getTime() - ticket.sent_at.getTime() >= EXPO_RECEIPT_RETENTION_MS) {
          missing++;
          done.push(ticket._id);
        } else {
          report.not_ready++;
          notReady.push(ticket._id);
        }
        continue;
      }
      done.push(ticket._id);
      const { outcome, reason, detail } = classifyReceipt(receipt);
      if (outcome === 'delivered') delivered++;
      else answered.push({ ticket, result: { token: ticket._id, outcome, reason, ...(detail !== undefined ? { detail } : {}) } });
    }
    report.missing += missing;
    if (missing > 0) this.options.logger.warn({ workspace_id: workspaceId, credential: credentialId, missing }, 'Expo receipts still missing 24 h after the send (expo:receipt_missing); tokens left alone');

    report.ok += delivered;
    // The guard judges the receipts of this batch of one credential as it judges one send: the ok ones count in the total.
    const judged = [
      ...answered.map(({ result }) => ({ provider: 'expo' as const, result })),
      ...Array.from({ length: delivered }, () => ({ provider: 'expo' as const, result: { token: '', outcome: 'delivered' as const } })),
    ];
    const held: ReadonlySet<string> = new Set(findMassInvalidations(judged, this.options.guard).map((group) => group.reason));
    const invalidations: Invalidation[] = [];
    for (const { ticket, result } of answered) {
      // classifyReceipt gives every error a code.
      const reason = result.reason!;
      if (result.outcome === 'invalid' && held.has(reason)) {
        report.held++;
        continue;
      }
      if (result.outcome === 'invalid') {
        invalidations.push({ tokenId: ticket.token_id, revision: ticket.token_revision, provider: 'expo', reason });
        continue;
      }
      report[result.outcome === 'retryable' ? 'retryable' : 'rejected']++;
      const text = reasonText(reason, result.detail);
      errors.set(text, (errors.get(text) ?? 0) + 1);
    }
    for (const reason of held) {
      const count = answered.filter(({ result }) => result.reason === reason).length;
      this.options.observer?.held?.(reason, count);
      this.options.logger.error({ provider: 'expo', reason, count, total: judged.length }, 'mass invalidation held: most receipts of this batch reported dead for one reason; tokens left active, check the Expo project and credentials');
    }
    for (const [reason, count] of errors) this.options.logger.warn({ workspace_id: workspaceId, credential: credentialId, reason, count }, 'Expo receipts reported errors; tokens left alone');

    // One result for the batch's answered receipts, applied like a send's (src/outcomes):
    // the token writes, the receipts in the message log, and token.invalidated.
    const lines = await this.resultLines(tickets, receipts, answered, held);
    let applied: Applied = { applied: false };
    if (lines.length > 0) {
      const result: SendResultDocument = { _id: `receipts:${claim}:${workspaceId}:${credentialId ?? 'instance'}`, kind: 'receipts', workspace_id: workspaceId, at: now, tokens: lines, held: [], messages: [], due_at: new Date(now.getTime() + this.options.applyGraceMs) };
      // Not written: the tickets stay claimed, and are asked again once the lease ends (Expo keeps receipts 24 hours).
      await this.results.write(result);
      applied = await this.options.apply(result);
    }
    const landed = applied.applied ? applied.landed : new Set(invalidations.map((i) => i.tokenId.toHexString()));
    report.invalidated += invalidations.filter((i) => landed.has(i.tokenId.toHexString())).length;
    report.kept_active += invalidations.filter((i) => !landed.has(i.tokenId.toHexString())).length;
    await this.tickets.queue.complete(claim, done);
    await this.tickets.queue.retry(claim, notReady, later);
  }

  /** A result line per answered receipt: ok ones `delivered`, held ones `rejected`, with who and what each token is. */
  private async resultLines(tickets: ClaimedTicket[], receipts: Record<string, ExpoReceipt>, answered: { ticket: ClaimedTicket; result: DeliveryResult }[], held: ReadonlySet<string>): Promise<ResultToken[]> {
    const failures = new Map(answered.map(({ ticket, result }) => [ticket._id, result]));
    const withReceipt = tickets.filter((t) => receipts[t._id]);
    const docs = await this.deliveries.describe(withReceipt.map((t) => t.token_id));
    return withReceipt.map((ticket): ResultToken => {
      // A token deleted since still has its receipt in the message log; nothing else of it is known.
      const doc = docs.get(ticket.token_id.toHexString()) ?? { user_id: null, token: '', device: undefined };
      const failure = failures.get(ticket._id);
      const outcome = !failure ? 'delivered' : failure.outcome === 'invalid' && held.has(failure.reason!) ? 'rejected' : failure.outcome;
      return {
        token_id: ticket.token_id.toHexString(), revision: ticket.token_revision, user_id: doc.user_id, token: doc.token, provider: 'expo', app_id: doc.device?.app_id ?? null,
        credential_id: ticket.credential_id, outcome, code: failure?.reason ?? null, reason: failure?.reason ? reasonText(failure.reason, failure.detail) : null, attempts: 1,
        ...(ticket.message_id ? { message_id: ticket.message_id } : {}),
      };
    });
  }
}
