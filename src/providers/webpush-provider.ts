import webpush, { WebPushError } from 'web-push';
import { mapWithConcurrency } from '../concurrency';
import { isBlockedAddressError } from '../network/address-filter';
import { endpointProblem } from '../tokens/webpush-endpoint';
import { notificationFor, type DeliveryResult, type Notification, type PushProvider, type SendOptions } from './provider';
import type { VapidKeys, WebPushDelivery } from './provider-settings';
import { classifyWebPush, WEBPUSH_TOO_LARGE, type WebPushAnswer } from './webpush-classification';
import { buildWebPushRequest, webPushEncryptedBytes, WEBPUSH_MAX_ENCRYPTED_BYTES, WEBPUSH_TOPIC } from './webpush-payload';
import { acquireTransport, type Transport } from './webpush-transport';

/**
 * Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm (RFC 8291), through web-push's
 * sendNotification: it encrypts each payload with the subscription's keys and signs the
 * request. One request per subscription (the protocol has no batches), at most
 * IN_FLIGHT_PER_SEND of a send at once; connections per push service are bounded and kept
 * alive by the shared transport (webpush-transport.ts).
 *
 * The VAPID JWT is signed once per push service origin and reused for an hour (it is valid for
 * 12): signing per request would cost an ECDSA signature per token, and push services accept a
 * token for its lifetime. web-push signs it (getVapidHeaders); it is passed as the request's
 * Authorization header.
 */
const IN_FLIGHT_PER_SEND = 100;
const VAPID_TOKEN_LIFETIME_S = 12 * 3600;
const VAPID_RENEW_AFTER_MS = 3600_000;

export type WebPushOptions = { vapid: VapidKeys; delivery: WebPushDelivery; now?: () => Date };

export class WebPushProvider implements PushProvider {
  readonly key = 'webpush' as const;
  private closed = false;
  private readonly transport: Transport;
  private readonly authorizations = new Map<string, { header: string; renewAt: number }>();
  private readonly now: () => Date;

  constructor(private readonly options: WebPushOptions) {
    this.transport = acquireTransport(options.delivery);
    this.now = options.now ?? (() => new Date());
  }

  ready(): boolean {
    return !this.closed;
  }

  send(notification: Notification, tokens: readonly string[], options: SendOptions = {}): Promise<DeliveryResult[]> {
    return mapWithConcurrency(tokens, IN_FLIGHT_PER_SEND, (token) => this.sendOne(notificationFor(notification, token, options), token, options));
  }

  private async sendOne(notification: Notification, endpoint: string, options: SendOptions): Promise<DeliveryResult> {
    const now = this.now();
    if (this.closed) return { token: endpoint, outcome: 'retryable', reason: 'webpush:closed' };
    // Checked again here: the allowlist may have been narrowed since the endpoint was registered.
    const problem = endpointProblem(endpoint, this.options.delivery.endpoints);
    if (problem) return classifyWebPush(endpoint, { refused: 'endpoint_not_allowed', detail: `the endpoint ${problem}` });
    const keys = options.keysFor?.(endpoint);
    if (!keys) return { token: endpoint, outcome: 'rejected', reason: 'webpush:no_keys', detail: 'the subscription has no keys stored; register it again with keys' };
    const request = buildWebPushRequest(notification, now);
    const bytes = webPushEncryptedBytes(request.payload);
    if (bytes > WEBPUSH_MAX_ENCRYPTED_BYTES) {
      return { token: endpoint, outcome: 'rejected', reason: WEBPUSH_TOO_LARGE, detail: `the payload is ${bytes} bytes encrypted; push services take at most ${WEBPUSH_MAX_ENCRYPTED_BYTES}` };
    }
    let answer: WebPushAnswer;
    try {
      const sent = await webpush.sendNotification({ endpoint, keys }, JSON.stringify(request.payload), {
        TTL: request.ttl,
        urgency: request.urgency,
        ...(request.topic !== undefined && WEBPUSH_TOPIC.test(request.topic) ? { topic: request.topic } : {}),
        contentEncoding: 'aes128gcm',
        // Signed here once per origin; no vapidDetails, so web-push adds no signature of its own
        // (the service never calls its process-wide setVapidDetails).
        headers: { Authorization: this.authorization(endpoint, now) },
        agent: this.transport.agent,
        timeout: this.options.delivery.timeoutMs,
      });
      answer = { status: sent.statusCode };
    } catch (error) {
      answer = answerOf(error);
    }
    return classifyWebPush(endpoint, answer, now);
  }

  /** `vapid t=<JWT>, k=<public key>` for the endpoint's origin (the JWT's audience), cached per origin. */
  private authorization(endpoint: string, now: Date): string {
    const audience = new URL(endpoint).origin;
    const cached = this.authorizations.get(audience);
    if (cached && cached.renewAt > now.getTime()) return cached.header;
    const { publicKey, privateKey, subject } = this.options.vapid;
    const expiration = Math.floor(now.getTime() / 1000) + VAPID_TOKEN_LIFETIME_S;
    const header = webpush.getVapidHeaders(audience, subject, publicKey, privateKey, 'aes128gcm', expiration).Authorization;
    this.authorizations.set(audience, { header, renewAt: now.getTime() + VAPID_RENEW_AFTER_MS });
    return header;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.transport.release();
  }
}

/** A rejection of sendNotification as an answer: a status from the push service, the SSRF filter's refusal, or no answer. */
function answerOf(error: unknown): WebPushAnswer {
  if (error instanceof WebPushError) {
    const retryAfter = error.headers?.['retry-after'];
    return { status: error.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter };
  }
  if (isBlockedAddressError(error)) return { refused: 'blocked_address', detail: 'the endpoint resolves to a private or loopback address (WEBPUSH_ALLOW_PRIVATE=true allows it); not contacted' };
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return { networkError: code };
  return { networkError: message === 'Socket timeout' ? 'timeout' : 'network_error' };
}
