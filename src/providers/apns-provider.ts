import apn from '@parse/node-apn';
import { mapWithConcurrency } from '../concurrency';
import { apnsPayloadBytes, APNS_MAX_PAYLOAD_BYTES, buildApnsRequest } from './apns-payload';
import { classifyApns } from './apns-classification';
import { channelOperations, type ChannelClient } from './apns-channels';
import { APNS_SDK_RETRIES, APNS_TOKEN_PATTERN } from './limits';
import { notificationFor, type DeliveryResult, type Notification, type PushProvider, type SendOptions } from './provider';

export type ApnsOptions = {
  /** Contents of the .p8 signing key. */
  signingKey: string;
  keyId: string;
  teamId: string;
  /** The topic when a send names none (the instance-wide APNS_TOPIC); apps name their own. */
  topic?: string;
  production: boolean;
  /** Send here instead of Apple (a simulator), e.g. https://127.0.0.1:8443. */
  endpoint?: URL;
  /** Manage broadcast channels here instead of Apple's channel host (APNS_CHANNELS_ENDPOINT). */
  channelsEndpoint?: URL;
  maxInFlight: number;
  now?: () => Date;
};

type ApnsFailure = { device?: string; status?: number; response?: { reason?: string; timestamp?: number }; error?: unknown };

/**
 * APNs over @parse/node-apn, with token-based (.p8 JWT) auth. One long-lived provider (one
 * HTTP/2 connection) serves every send; at most `maxInFlight` notifications are on it at once.
 * node-apn's own immediate retries are turned off: the sender's back-off owns retrying.
 */
export class ApnsProvider implements PushProvider, ChannelClient {
  readonly key = 'apn' as const;
  private readonly provider: apn.Provider;
  private closed = false;
  private readonly now: () => Date;

  constructor(private readonly options: ApnsOptions) {
    this.now = options.now ?? (() => new Date());
    this.provider = new apn.Provider({
      token: { key: options.signingKey, keyId: options.keyId, teamId: options.teamId },
      production: options.production,
      connectionRetryLimit: APNS_SDK_RETRIES,
      ...(options.endpoint ? { address: options.endpoint.hostname, port: Number(options.endpoint.port || 443) } : {}),
      ...(options.channelsEndpoint ? { manageChannelsAddress: options.channelsEndpoint.hostname, manageChannelsPort: Number(options.channelsEndpoint.port || 443) } : {}),
    });
    this.channels = channelOperations(this.provider);
  }

  /** iOS 18 broadcast channels on this credential's connection (apns-channels.ts). */
  private readonly channels: ChannelClient;
  createChannel: ChannelClient['createChannel'] = (bundleId, storage) => this.channels.createChannel(bundleId, storage);
  listChannels: ChannelClient['listChannels'] = (bundleId) => this.channels.listChannels(bundleId);
  deleteChannel: ChannelClient['deleteChannel'] = (bundleId, channelId) => this.channels.deleteChannel(bundleId, channelId);
  publish: ChannelClient['publish'] = (bundleId, channelId, request) => this.channels.publish(bundleId, channelId, request);

  ready(): boolean {
    return !this.closed;
  }

  async send(notification: Notification, tokens: readonly string[], options: SendOptions = {}): Promise<DeliveryResult[]> {
    const topic = options.topic ?? this.options.topic;
    if (!topic) return tokens.map((token) => ({ token, outcome: 'rejected', reason: 'apns:no_topic', detail: 'no APNs topic for this app' }));
    // One payload for every token, unless each token has data of its own (dataFor): then each is built apart.
    const shared = options.dataFor ? undefined : this.note(notification, topic);
    return mapWithConcurrency(tokens, this.options.maxInFlight, async (token): Promise<DeliveryResult> => {
      if (!APNS_TOKEN_PATTERN.test(token)) {
        // node-apn would strip the non-hex characters and send to some other device path.
        return { token, outcome: 'rejected', reason: 'apns:malformed_token', detail: 'the token is not hexadecimal' };
      }
      if (this.closed) return { token, outcome: 'retryable', reason: 'apns:closed' };
      try {
        const note = shared ?? this.note(notificationFor(notification, token, options), topic);
        if ('tooBig' in note) return { token, outcome: 'rejected', reason: 'apns:PayloadTooLarge', detail: note.tooBig };
        const { sent, failed } = await this.provider.send(note, token);
        if (sent.length > 0) {
          const apnsId = (sent[0] as { 'apns-id'?: unknown })['apns-id'];
          return { token, outcome: 'delivered', ...(typeof apnsId === 'string' ? { providerId: apnsId } : {}) };
        }
        return this.resultOf(token, failed[0] as ApnsFailure | undefined);
      } catch (error) {
        return { token, outcome: 'retryable', reason: 'apns:send_failed', detail: (error as Error).message };
      }
    });
  }

  /**
   * The node-apn notification for one payload (buildApnsRequest decides everything on the
   * wire), or why it can't go: over Apple's 4096 bytes, measured after the override.
   */
  private note(notification: Notification, topic: string): apn.Notification | { tooBig: string } {
    const request = buildApnsRequest(notification, topic, this.now());
    const bytes = apnsPayloadBytes(request);
    if (bytes > APNS_MAX_PAYLOAD_BYTES) return { tooBig: `the payload is ${bytes} bytes; APNs takes at most ${APNS_MAX_PAYLOAD_BYTES}` };
    const note = new apn.Notification();
    note.rawPayload = request.payload;
    note.topic = request.topic;
    note.pushType = request.pushType as apn.NotificationPushType;
    note.priority = request.priority;
    if (request.expiry !== undefined) note.expiry = request.expiry;
    if (request.collapseId !== undefined) note.collapseId = request.collapseId;
    return note;
  }

  private resultOf(token: string, failure: ApnsFailure | undefined): DeliveryResult {
    const reason = failure?.response?.reason ?? errorReason(failure?.error);
    const classification = classifyApns({
      ...(failure?.status !== undefined ? { status: Number(failure.status) } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(failure?.response?.timestamp !== undefined ? { timestamp: Number(failure.response.timestamp) } : {}),
    });
    return { token, ...classification };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // shutdown() sends GOAWAY and closes the connection cleanly.
    await new Promise<void>((resolve) => this.provider.shutdown(() => resolve()));
  }
}

/** node-apn reports some answers as an error object (ExpiredProviderToken, lost streams). */
function errorReason(error: unknown): string | undefined {
  const message = (error as { message?: string } | undefined)?.message;
  if (message === 'ExpiredProviderToken') return message;
  return undefined;
}
