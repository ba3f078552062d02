import type { RetryConfig } from '../config';
import type { Logger } from '../logger';
import type { ChannelHandle } from '../channels/channel-service';
import type { ChannelDocument } from '../channels/channel-store';
import { apnsPayloadBytes, APNS_MAX_PAYLOAD_BYTES, buildApnsRequest } from '../providers/apns-payload';
import type { Notification } from '../providers/provider';
import { reasonText, type ReasonCode } from '../providers/reason';
import type { PendingResults } from './pending-results';
import { retryDelayMs } from './retry-policy';
import type { ResultToken, SendResultDocument } from './send-result';

export type ChannelSenderOptions = { retry: RetryConfig; logger: Logger; applyGraceMs: number; now?: () => Date; sleep?: (ms: number) => Promise<void>; random?: () => number };

/** What a publish needs of the channels (channels/channel-service.ts): a client for the channel's home. */
export type ChannelClients = { acquire: (workspaceId: string, channel: ChannelDocument) => Promise<ChannelHandle> };

/**
 * A Live Activity event published to an iOS 18 broadcast channel: one APNs request, whatever
 * the number of devices subscribed, retried with back-off on transient answers like any send.
 * Its outcome is written as a durable send result (send-result.ts) with one line for the
 * channel, and flows on from there as every send's does: dispatch → send result → effects.
 * The line has no token_id, so no effect ever touches a token.
 */
export class ChannelSender {
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly clients: ChannelClients,
    private readonly pending: Pick<PendingResults, 'write'>,
    private readonly options: ChannelSenderOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Never throws: a channel whose credential can't be used is a `rejected` line, as a token's would be. */
  async publish(channel: ChannelDocument, notification: Notification, request: { requestId: string; messageId: string }): Promise<{ result: SendResultDocument; written: boolean }> {
    const { outcome, attempts } = await this.dispatch(channel, notification);
    const at = this.now();
    const line: ResultToken = {
      token_id: null,
      user_id: null,
      token: channel.channel_id,
      provider: 'apn',
      app_id: channel.app_id,
      credential_id: channel.credential_id,
      outcome: outcome.ok ? 'delivered' : outcome.outcome,
      code: outcome.ok ? null : outcome.code,
      reason: outcome.ok ? null : reasonText(outcome.code, outcome.detail),
      ...(outcome.ok && outcome.requestId ? { provider_id: outcome.requestId } : {}),
      attempts,
      message_id: request.messageId,
    };
    const result: SendResultDocument = {
      _id: request.requestId,
      workspace_id: channel.workspace_id,
      at,
      tokens: [line],
      held: [],
      messages: [{ id: request.messageId, channel_id: channel.channel_id }],
      due_at: new Date(at.getTime() + this.options.applyGraceMs),
    };
    const written = await this.pending.write(result);
    this.options.logger.info({ send_request_id: request.requestId, workspace_id: channel.workspace_id, app: channel.app_id, outcome: line.outcome, attempts }, 'channel publish dispatched');
    return { result, written };
  }

  private async dispatch(channel: ChannelDocument, notification: Notification): Promise<{ outcome: Published; attempts: number }> {
    const request = buildApnsRequest(notification, channel.bundle_id, this.now());
    const bytes = apnsPayloadBytes(request);
    if (bytes > APNS_MAX_PAYLOAD_BYTES) return { outcome: { ok: false, outcome: 'rejected', code: 'apns:PayloadTooLarge', detail: `the payload is ${bytes} bytes; APNs takes at most ${APNS_MAX_PAYLOAD_BYTES}` }, attempts: 0 };
    let handle: ChannelHandle;
    try {
      handle = await this.clients.acquire(channel.workspace_id, channel);
    } catch (error) {
      return { outcome: { ok: false, outcome: 'rejected', code: 'credential_unusable', detail: `${channel.credential_id} of app ${channel.app_id} can't be used: ${(error as Error).message}` }, attempts: 0 };
    }
    try {
      for (let attempt = 1; ; attempt++) {
        const answer: Published = await handle.client.publish(channel.bundle_id, channel.channel_id, request);
        if (answer.ok || answer.outcome !== 'retryable' || attempt >= this.options.retry.maxAttempts) return { outcome: answer, attempts: attempt };
        const delay = retryDelayMs(attempt, this.options.retry, undefined, this.options.random);
        this.options.logger.warn({ provider: 'apn', app: channel.app_id, attempt, delay_ms: delay }, 'transient answer to a channel publish; retrying');
        await this.sleep(delay);
      }
    } finally {
      handle.release();
    }
  }
}

type Published = { ok: true; requestId?: string } | { ok: false; outcome: 'rejected' | 'retryable'; code: ReasonCode; detail?: string | undefined };
