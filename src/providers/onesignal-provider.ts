import { createHash } from 'node:crypto';
import { chunk, mapWithConcurrency } from '../concurrency';
import { classifyOneSignal, ONESIGNAL_MALFORMED_ID } from './onesignal-classification';
import { notificationFor, type DeliveryResult, type Notification, type PushProvider, type SendOptions } from './provider';
import { buildOneSignalBody, oneSignalPayloadBytes, ONESIGNAL_MAX_PAYLOAD_BYTES } from './onesignal-payload';
import { isOneSignalSubscriptionId } from '../tokens/token-formats';

/**
 * OneSignal over Node's fetch, POST /notifications with `include_subscription_ids`. The
 * official SDK (@onesignal/node-onesignal) is not used: it adds a generated client around this
 * one request, writes `idempotency_key` onto the object it is given, and its retry helper would
 * retry inside our retries (../shared/reference/expo-onesignal.md). Every request carries an
 * idempotency key derived from the send, the notification and its ids, so the sender's retry of
 * the same chunk is a replay on OneSignal's side, never a second notification.
 */
export const ONESIGNAL_MAX_RECIPIENTS = 2_000; // the SDK's documented cap (the docs say 20,000; they conflict)
const CONCURRENT_REQUESTS = 4;
const REQUEST_TIMEOUT_MS = 30_000;

export type OneSignalOptions = { appId: string; apiKey: string; endpoint?: URL };

export class OneSignalProvider implements PushProvider {
  readonly key = 'onesignal' as const;
  private closed = false;
  private readonly url: string;

  constructor(private readonly options: OneSignalOptions) {
    this.url = new URL('/notifications', options.endpoint ?? 'https://api.onesignal.com').toString();
  }

  ready(): boolean {
    return !this.closed;
  }

  async send(notification: Notification, tokens: readonly string[], options: SendOptions = {}): Promise<DeliveryResult[]> {
    // One malformed id makes OneSignal refuse the whole request, so a stored one (from before
    // registration checked the format) would sink every batch it is in: it is dead, never sent.
    const malformed: DeliveryResult[] = tokens.filter((t) => !isOneSignalSubscriptionId(t)).map((token) => ({ token, outcome: 'invalid', reason: ONESIGNAL_MALFORMED_ID }));
    // Per-token data (the message log's trackingUrl) means a notification per token: OneSignal has no per-recipient data.
    const batches = chunk(tokens.filter(isOneSignalSubscriptionId), options.dataFor ? 1 : ONESIGNAL_MAX_RECIPIENTS);
    const results = await mapWithConcurrency(batches, CONCURRENT_REQUESTS, (ids) => this.sendBatch(notificationFor(notification, ids[0]!, options), ids, options.sendId));
    return [...malformed, ...results.flat()];
  }

  private async sendBatch(notification: Notification, ids: string[], sendId: string | undefined): Promise<DeliveryResult[]> {
    if (this.closed) return ids.map((token) => ({ token, outcome: 'retryable', reason: 'onesignal:closed' }));
    const payload = buildOneSignalBody(notification, new Date());
    const bytes = oneSignalPayloadBytes(payload);
    if (bytes > ONESIGNAL_MAX_PAYLOAD_BYTES) {
      return ids.map((token) => ({ token, outcome: 'rejected', reason: 'onesignal:payload_too_large', detail: `the notification is ${bytes} bytes; OneSignal takes at most ${ONESIGNAL_MAX_PAYLOAD_BYTES}` }));
    }
    // Whom it goes to, which app and the idempotency key are set last: no override reaches them.
    const body = { ...payload, app_id: this.options.appId, include_subscription_ids: ids, idempotency_key: idempotencyKey(sendId, notification, ids) };
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { authorization: `Key ${this.options.apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const code = (error as { cause?: { code?: string }; name?: string }).cause?.code ?? (error as Error).name ?? 'network error';
      return classifyOneSignal(ids, { networkError: code });
    }
    const raw = await response.text();
    let parsed: unknown = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // An HTML error page from a proxy: the status decides.
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    return classifyOneSignal(ids, { status: response.status, body: parsed, ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}) });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A UUID (OneSignal's format for the key) from the send, the notification and the chunk's ids. */
function idempotencyKey(sendId: string | undefined, notification: Notification, ids: readonly string[]): string {
  const hex = createHash('sha256').update(JSON.stringify([sendId ?? '', notification, ids])).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
