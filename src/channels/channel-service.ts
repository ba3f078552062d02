import type { CredentialStore } from '../apps/credential-store';
import type { AcquiredClient, ProviderClients } from '../apps/provider-clients';
import { NotFoundError, RateLimitedError, UnavailableError, UnprocessableError, ValidationError } from '../errors';
import { isChannelClient, type ChannelAnswer, type ChannelClient, type ChannelStorage } from '../providers/apns-channels';
import { providerModule } from '../providers/catalogue';
import { reasonText } from '../providers/reason';
import type { ApnsEnvironment } from '../providers/provider-module';
import type { ChannelDocument, ChannelStore } from './channel-store';

/** A channel as the API shows it. */
export type ChannelView = { channel_id: string; app_id: string; bundle_id: string; environment: ApnsEnvironment; storage: ChannelStorage; created_at: number };

export function channelView(doc: ChannelDocument): ChannelView {
  return { channel_id: doc.channel_id, app_id: doc.app_id, bundle_id: doc.bundle_id, environment: doc.environment, storage: doc.storage, created_at: doc.created_at.getTime() };
}

/** Where a channel lives at Apple: its app's bundle id, credential and environment. */
type ChannelHome = Pick<ChannelDocument, 'app_id' | 'bundle_id' | 'environment' | 'credential_id'>;
/** A client for a channel's home, in use until released. */
export type ChannelHandle = { client: ChannelClient; release: () => void };

/**
 * iOS 18 broadcast channels (docs/providers.md, "Broadcast channels"): created, listed and
 * deleted through Apple's channel management API with the app's APNs credential, and
 * recorded in `live_activity_channels` so that a send to `{channel_id}` finds its app. Apple's
 * answer comes first: a channel Apple refused is never recorded, and one Apple created but
 * MongoDB would not record is deleted at Apple again.
 */
export class ChannelService {
  constructor(
    private readonly store: ChannelStore,
    private readonly credentials: Pick<CredentialStore, 'appsById' | 'credentialsById'>,
    private readonly clients: Pick<ProviderClients, 'acquire'>,
    private readonly now: () => Date,
  ) {}

  async create(workspaceId: string, request: { app_id: string; storage: ChannelStorage; environment?: ApnsEnvironment | undefined }): Promise<ChannelView> {
    const home = await this.homeOf(workspaceId, request.app_id, request.environment);
    await this.store.refuseOverBound(workspaceId);
    return this.withClient(workspaceId, home, async (client) => {
      const created = settled(await client.createChannel(home.bundle_id, request.storage), 'create the channel');
      if (!created.channelId) throw new UnavailableError('Apple created a channel but named none (no apns-channel-id); retry shortly');
      try {
        return channelView(await this.store.insert({ workspace_id: workspaceId, channel_id: created.channelId, ...home, storage: request.storage, created_at: this.now() }));
      } catch (error) {
        // Never a channel at Apple that nothing here knows of: it would count against Apple's 10,000 forever.
        await client.deleteChannel(home.bundle_id, created.channelId).catch(() => undefined);
        throw error;
      }
    });
  }

  async get(workspaceId: string, channelId: string): Promise<ChannelView> {
    return channelView(await this.store.get(workspaceId, channelId));
  }

  async list(workspaceId: string, page: { limit: number; after?: string | undefined }): Promise<ChannelView[]> {
    return (await this.store.list(workspaceId, page)).map(channelView);
  }

  /** Deleted at Apple, then here. A channel Apple no longer knows (deleted there, or expired) is deleted here all the same. */
  async delete(workspaceId: string, channelId: string): Promise<void> {
    const doc = await this.store.get(workspaceId, channelId);
    await this.withClient(workspaceId, doc, async (client) => {
      const answer = await client.deleteChannel(doc.bundle_id, channelId);
      if (!answer.ok && !isUnknownChannel(answer)) settled(answer, 'delete the channel');
    });
    await this.store.remove(workspaceId, channelId);
  }

  /** The channel a send publishes to, and a client for its home (sender/channel-send.ts). */
  async resolve(workspaceId: string, channelId: string): Promise<ChannelDocument> {
    return this.store.get(workspaceId, channelId);
  }

  /** A client for a channel's home; release it when done. Throws when the credential can't be used. */
  async acquire(workspaceId: string, home: ChannelHome): Promise<ChannelHandle> {
    const credential = (await this.credentials.credentialsById(workspaceId, [home.credential_id])).get(home.credential_id);
    if (!credential) throw new UnprocessableError(`The APNs credential ${home.credential_id} of app ${home.app_id} no longer exists`);
    const handle: AcquiredClient = await this.clients.acquire(workspaceId, home.credential_id, credential.identity, 'apn', home.environment);
    if (!isChannelClient(handle.client)) {
      handle.release();
      throw new UnprocessableError(`The client of credential ${home.credential_id} can't manage channels`);
    }
    return { client: handle.client, release: handle.release };
  }

  private async withClient<T>(workspaceId: string, home: ChannelHome, run: (client: ChannelClient) => Promise<T>): Promise<T> {
    const { client, release } = await this.acquire(workspaceId, home);
    try {
      return await run(client);
    } finally {
      release();
    }
  }

  /** The app's APNs bundle id, credential and environment; `environment` is required of an app whose environment is `auto`. */
  private async homeOf(workspaceId: string, appId: string, environment: ApnsEnvironment | undefined): Promise<ChannelHome> {
    const app = (await this.credentials.appsById(workspaceId, [appId])).get(appId);
    if (!app) throw new NotFoundError(`No app ${appId} in this workspace`);
    const ref = app.apn;
    if (!ref) throw new ValidationError([{ path: 'app_id', message: `app ${appId} has no APNs credential (PUT /apps/${appId} with "apn")` }]);
    const module = providerModule('apn');
    const route = module.route?.(ref, appId, undefined);
    if (!route || 'problem' in route) throw new ValidationError([{ path: 'app_id', message: `app ${appId} names no APNs topic` }]);
    const chosen = environment ?? (route.environment === 'auto' ? undefined : (route.environment ?? 'production'));
    if (!chosen) throw new ValidationError([{ path: 'environment', message: `app ${appId} sends to both APNs environments (auto): name the channel's, production or sandbox` }]);
    const credential = (await this.credentials.credentialsById(workspaceId, [route.credentialId])).get(route.credentialId);
    if (!credential) throw new UnprocessableError(`The APNs credential ${route.credentialId} of app ${appId} does not exist`);
    const problem = module.linkProblem?.({ ...ref, environment: chosen }, credential.settings);
    if (problem) throw new ValidationError([{ path: 'environment', message: problem.message }]);
    return { app_id: appId, bundle_id: route.topic!, environment: chosen, credential_id: route.credentialId };
  }
}

/** Apple no longer knows the channel: deleted at Apple already. */
function isUnknownChannel(answer: ChannelAnswer<object>): boolean {
  return !answer.ok && (answer.status === 404 || answer.code === 'apns:BadChannelId' || answer.code === 'apns:ChannelNotRegistered');
}

/** Apple's answer to a management request, or the error an API caller should see. */
function settled<T>(answer: ChannelAnswer<T>, what: string): T {
  if (answer.ok) return answer;
  const reason = reasonText(answer.code, answer.detail);
  if (answer.status === 429) throw new RateLimitedError(`Apple refused to ${what}: ${reason}; retry later`);
  if (answer.outcome === 'retryable') throw new UnavailableError(`Apple could not ${what} now: ${reason}; retry shortly`);
  throw new UnprocessableError(`Apple refused to ${what}: ${reason}`);
}
