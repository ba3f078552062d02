import { cert, deleteApp, initializeApp, type App, type ServiceAccount } from 'firebase-admin/app';
import { getMessaging, type BatchResponse, type Message, type Messaging, type SendResponse } from 'firebase-admin/messaging';
import { chunk, mapWithConcurrency } from '../concurrency';
import { classifyFcm } from './fcm-classification';
import { redirectFcmSends } from './fcm-endpoint';
import { EndpointServiceAccountCredential } from './fcm-oauth';
import { buildFcmMessage, fcmPayloadBytes, FCM_MAX_PAYLOAD_BYTES } from './fcm-payload';
import { FCM_MAX_BATCH_SIZE } from './limits';
import { notificationFor, type DeliveryResult, type Notification, type PushProvider, type SendOptions } from './provider';

export type FcmServiceAccount = { project_id: string; client_email: string; private_key: string };

export type FcmOptions = {
  serviceAccount: FcmServiceAccount;
  /** Send (and exchange OAuth tokens) here instead of Google, e.g. https://127.0.0.1:9443. */
  endpoint?: URL;
  concurrentBatches: number;
  /** How long one sendEach may take before its unanswered tokens count as retryable. */
  batchTimeoutMs: number;
  now?: () => Date;
};

let appCounter = 0;

/**
 * FCM HTTP v1 over firebase-admin. One app instance serves every send; tokens go out with
 * sendEach in chunks of at most 500 (FCM's limit), a few chunks at a time.
 */
export class FcmProvider implements PushProvider {
  readonly key = 'firebase-fcm' as const;
  private readonly app: App;
  private readonly messaging: Messaging;
  private readonly undoRedirect: (() => void) | undefined;
  private closed = false;
  private readonly now: () => Date;

  constructor(private readonly options: FcmOptions) {
    this.now = options.now ?? (() => new Date());
    const account: ServiceAccount = {
      projectId: options.serviceAccount.project_id,
      clientEmail: options.serviceAccount.client_email,
      privateKey: options.serviceAccount.private_key,
    };
    const credential = options.endpoint ? new EndpointServiceAccountCredential(options.serviceAccount, options.endpoint) : cert(account);
    this.app = initializeApp({ credential, projectId: account.projectId }, `push-token-registry-${++appCounter}`);
    this.messaging = getMessaging(this.app);
    this.undoRedirect = options.endpoint ? redirectFcmSends(options.endpoint) : undefined;
  }

  ready(): boolean {
    return !this.closed;
  }

  async send(notification: Notification, tokens: readonly string[], options?: SendOptions): Promise<DeliveryResult[]> {
    const now = this.now();
    const batches = chunk(tokens, FCM_MAX_BATCH_SIZE);
    const results = await mapWithConcurrency(batches, this.options.concurrentBatches, (batch) => this.sendBatch(notification, batch, now, options));
    return results.flat();
  }

  private async sendBatch(notification: Notification, tokens: string[], now: Date, options: SendOptions | undefined): Promise<DeliveryResult[]> {
    if (this.closed) return tokens.map((token) => ({ token, outcome: 'retryable', reason: 'fcm:closed' }));
    const outcome = await this.withDeadline(this.attemptBatch(notification, tokens, now, options));
    if (outcome === 'timeout') return tokens.map((token) => ({ token, outcome: 'retryable', reason: 'fcm:timeout', detail: 'no answer within FCM_BATCH_TIMEOUT' }));
    return outcome;
  }

  /** One sendEach, with what answered before a failure; the caller bounds all of it by the deadline. */
  private async attemptBatch(notification: Notification, all: string[], now: Date, options: SendOptions | undefined): Promise<DeliveryResult[]> {
    // Measured as it will be sent (the override merged): too big is refused here, never sent.
    const tooBig: DeliveryResult[] = [];
    const messages: Message[] = [];
    const tokens: string[] = [];
    for (const token of all) {
      const message = buildFcmMessage(notificationFor(notification, token, options), token, now);
      const bytes = fcmPayloadBytes(message);
      if (bytes > FCM_MAX_PAYLOAD_BYTES) tooBig.push({ token, outcome: 'rejected', reason: 'fcm:message_too_big', detail: `the data and notification are ${bytes} bytes; FCM takes at most ${FCM_MAX_PAYLOAD_BYTES}` });
      else {
        messages.push(message);
        tokens.push(token);
      }
    }
    if (tokens.length === 0) return tooBig;
    return [...tooBig, ...(await this.sendMessages(messages, tokens))];
  }

  private async sendMessages(messages: Message[], tokens: string[]): Promise<DeliveryResult[]> {
    try {
      const { responses } = await this.messaging.sendEach(messages);
      return tokens.map((token, i) => this.resultOf(token, responses[i]));
    } catch (error) {
      // The HTTP/2 session died mid-batch: what had answered is in pendingBatchResponse; the rest
      // never got an answer, which says nothing about the tokens. On Node 24 that promise can
      // wait forever for streams the dead session will never finish, hence the deadline around
      // the whole attempt, not just sendEach.
      const pending = (error as { pendingBatchResponse?: Promise<BatchResponse> }).pendingBatchResponse;
      const partial = pending ? await pending.catch(() => undefined) : undefined;
      if (partial) return tokens.map((token, i) => this.resultOf(token, partial.responses[i]));
      const code = (error as { code?: string }).code ?? 'send_failed';
      return tokens.map((token) => ({ token, outcome: 'retryable', reason: `fcm:${code}` }));
    }
  }

  /**
   * firebase-admin 13 waits forever when the HTTP/2 connection closes under in-flight streams
   * without an error (the streams close with NGHTTP2_CANCEL and its per-request timer goes
   * with them; reproduced against the simulator). A deadline turns that into `retryable`.
   */
  private withDeadline<T>(work: Promise<T>): Promise<T | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.batchTimeoutMs);
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }

  private resultOf(token: string, response: SendResponse | undefined): DeliveryResult {
    if (!response) return { token, outcome: 'retryable', reason: 'fcm:no_answer' };
    if (response.success) return { token, ...classifyFcm({ success: true }), ...(response.messageId ? { providerId: response.messageId } : {}) };
    const classification = classifyFcm({
      success: false,
      ...(response.error?.code ? { code: response.error.code } : {}),
      ...(response.error?.message ? { message: response.error.message } : {}),
    });
    return { token, ...classification };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.undoRedirect?.();
    await deleteApp(this.app);
  }
}
