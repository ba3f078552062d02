import apn from '@parse/node-apn';
import { classifyApns } from './apns-classification';
import type { ApnsRequest } from './apns-payload';
import type { ProviderCode } from './reason';

/**
 * iOS 18 broadcast channels, through @parse/node-apn 8.1 (Apple, "Sending channel management
 * requests to APNs" and "Sending broadcast push notification requests to APNs"):
 *
 * - channels are managed on Apple's channel host (`api-manage-broadcast[.sandbox].push.apple.com`,
 *   ports 2196 and 2195; APNS_CHANNELS_ENDPOINT stands a simulator in): POST and DELETE
 *   `/1/apps/<bundle id>/channels`, GET `/1/apps/<bundle id>/all-channels`; a create answers 201
 *   with the new id in `apns-channel-id`;
 * - a publish is one POST to `/4/broadcasts/apps/<bundle id>` on the ordinary push host, with
 *   `apns-channel-id` and `apns-push-type: liveactivity`: APNs fans it out to every device
 *   subscribed, whatever their number.
 *
 * Each answer is classified as a send's is (apns-classification.ts). No answer about a channel
 * is about a token, so nothing here is ever `invalid`.
 */
export type ChannelStorage = 'none' | 'most_recent';
/** Apple's `message-storage-policy`: 0 keeps nothing for an offline device, 1 the most recent push. */
export const STORAGE_POLICY: Record<ChannelStorage, 0 | 1> = { none: 0, most_recent: 1 };
/** Apple keeps at most this many channels per app and environment. */
export const APPLE_MAX_CHANNELS = 10_000;

/** An answer from the channel host or the broadcast endpoint: done, or why not (a reason code as a send's). */
export type ChannelAnswer<T> = ({ ok: true } & T) | { ok: false; outcome: 'rejected' | 'retryable'; code: ProviderCode; detail?: string; status?: number };

/** What a client that can manage and publish to channels offers (ApnsProvider does). */
export interface ChannelClient {
  createChannel(bundleId: string, storage: ChannelStorage): Promise<ChannelAnswer<{ channelId: string }>>;
  listChannels(bundleId: string): Promise<ChannelAnswer<{ channelIds: string[] }>>;
  deleteChannel(bundleId: string, channelId: string): Promise<ChannelAnswer<object>>;
  publish(bundleId: string, channelId: string, request: ApnsRequest): Promise<ChannelAnswer<{ requestId?: string }>>;
}

export function isChannelClient(client: unknown): client is ChannelClient {
  return typeof (client as Partial<ChannelClient> | null)?.createChannel === 'function';
}

type Failure = { status?: number | string; response?: { reason?: string }; error?: { message?: string } };
type Settled = { sent: Record<string, unknown>[]; failed: Failure[] };

/** node-apn's { sent, failed } → our answer. */
export function channelAnswer<T>(settled: Settled, ok: (sent: Record<string, unknown>) => T): ChannelAnswer<T> {
  const sent = settled.sent[0];
  if (sent) return { ok: true, ...ok(sent) };
  const failure = settled.failed[0] ?? {};
  const status = failure.status !== undefined ? Number(failure.status) : undefined;
  const reason = failure.response?.reason ?? (failure.error?.message === 'ExpiredProviderToken' ? 'ExpiredProviderToken' : undefined);
  const classified = classifyApns({ ...(status !== undefined && Number.isFinite(status) ? { status } : {}), ...(reason !== undefined ? { reason } : {}) });
  const detail = reason === undefined ? failure.error?.message : undefined;
  return {
    ok: false,
    outcome: classified.outcome === 'retryable' ? 'retryable' : 'rejected',
    code: classified.reason ?? 'apns:unknown',
    ...(detail !== undefined ? { detail } : {}),
    ...(status !== undefined ? { status } : {}),
  };
}

/** The channel-management request node-apn sends: its body is Apple's create body; other actions send none. */
export function channelNote(options: { channelId?: string; storage?: ChannelStorage } = {}): apn.Notification {
  const note = new apn.Notification();
  if (options.storage !== undefined) note.rawPayload = { 'message-storage-policy': STORAGE_POLICY[options.storage], 'push-type': 'LiveActivity' };
  else note.rawPayload = {};
  if (options.channelId !== undefined) note.channelId = options.channelId;
  return note;
}

/** A Live Activity request (apns-live-activity.ts) as a broadcast: the bundle id is in the path, so no topic. */
export function broadcastNote(channelId: string, request: ApnsRequest): apn.Notification {
  const note = new apn.Notification();
  note.rawPayload = request.payload;
  note.pushType = 'liveactivity';
  note.priority = request.priority;
  note.channelId = channelId;
  if (request.expiry !== undefined) note.expiry = request.expiry;
  return note;
}

/** The channel operations over one node-apn provider (its channel host and its push host). */
export function channelOperations(provider: apn.Provider): ChannelClient {
  const settle = async (run: () => Promise<unknown>): Promise<Settled> => {
    try {
      return (await run()) as Settled;
    } catch (error) {
      return { sent: [], failed: [{ error: { message: (error as Error)?.message ?? String(error) } }] };
    }
  };
  return {
    createChannel: async (bundleId, storage) =>
      channelAnswer(await settle(() => provider.manageChannels(channelNote({ storage }), bundleId, 'create')), (sent) => ({ channelId: String(sent['apns-channel-id'] ?? '') })),
    listChannels: async (bundleId) =>
      channelAnswer(await settle(() => provider.manageChannels(channelNote(), bundleId, 'readAll')), (sent) => ({ channelIds: Array.isArray(sent.channels) ? sent.channels.map(String) : [] })),
    deleteChannel: async (bundleId, channelId) => channelAnswer(await settle(() => provider.manageChannels(channelNote({ channelId }), bundleId, 'delete')), () => ({})),
    publish: async (bundleId, channelId, request) =>
      channelAnswer(await settle(() => provider.broadcast(broadcastNote(channelId, request), bundleId)), (sent) => (typeof sent['apns-request-id'] === 'string' ? { requestId: sent['apns-request-id'] } : {})),
  };
}
