import { DEFAULT_APP, routeToken, type Route } from '../apps/app-routing';
import type { CredentialStore } from '../apps/credential-store';
import type { AcquiredClient, ProviderClients } from '../apps/provider-clients';
import { providerModule } from '../providers/catalogue';
import type { ApnsEnvironment, SendFn } from '../providers/provider-module';
import type { ProviderRegistry } from '../providers/provider-registry';
import type { Reason } from '../providers/reason';
import type { ProviderKey } from '../tokens/token-fields';
import type { SendableToken } from './delivery-store';

/**
 * Splits a send's tokens into groups that go out through one client each: the app's
 * credential (issue 11's model) or the instance-wide registry. A token nothing serves is
 * refused (`rejected`, left active). Clients are acquired for the send and released after it.
 * How one provider's groups are formed and sent (APNs environments, Expo's one project per
 * request) is its module's to say (providers/provider-module.ts).
 */
export type DeliveryGroup = {
  provider: ProviderKey;
  /** The app credential the group is sent with (its client reads Expo receipts later); null for the instance-wide client. */
  credentialId: string | null;
  /** For logs: which app and credential, never a secret. */
  label: { app?: string; credential?: string; environment?: string };
  tokens: SendableToken[];
  send: SendFn;
  /** The credential's own pace for broadcasts (rate_per_second), when it has one. */
  rate?: number;
};
/** A token no client can send, and why (reason.ts). */
export type Refusal = { token: SendableToken } & Reason;
export type DeliveryPlan = { groups: DeliveryGroup[]; refused: Refusal[]; release: () => void };

type AppRoute = Extract<Route, { kind: 'app' }>;

export class DeliveryRouter {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly store: CredentialStore,
    private readonly clients: ProviderClients,
  ) {}

  async plan(workspaceId: string, tokens: readonly SendableToken[]): Promise<DeliveryPlan> {
    const appIds = new Set(tokens.flatMap((t) => (t.device?.app_id ? [t.device.app_id] : [])));
    const apps = tokens.length > 0 ? await this.store.appsById(workspaceId, [...appIds, DEFAULT_APP]) : new Map();
    const instanceWide = new Set(this.registry.configured());
    const byRoute = new Map<string, { route: Exclude<Route, { kind: 'none' }>; provider: ProviderKey; tokens: SendableToken[] }>();
    const refused: DeliveryPlan['refused'] = [];
    for (const token of tokens) {
      const route = routeToken({ provider_key: token.provider_key, app_id: token.device?.app_id }, apps, instanceWide);
      if (route.kind === 'none') {
        refused.push({ token, code: route.code, ...(route.detail !== undefined ? { detail: route.detail } : {}) });
        continue;
      }
      // Tokens of one route share a client; a module may split them further into separate requests.
      const group = route.kind === 'instance' ? (providerModule(token.provider_key).requestGroup?.(token) ?? '') : '';
      const key = route.kind === 'instance' ? `instance\u0000${token.provider_key}\u0000${group}` : JSON.stringify(route);
      const entry = byRoute.get(key) ?? { route, provider: token.provider_key, tokens: [] };
      entry.tokens.push(token);
      byRoute.set(key, entry);
    }

    const credentialIds = [...byRoute.values()].flatMap(({ route }) => (route.kind === 'app' ? [route.credentialId] : []));
    const credentials = credentialIds.length > 0 ? await this.store.credentialsById(workspaceId, credentialIds) : new Map();
    const acquired: AcquiredClient[] = [];
    const groups: DeliveryGroup[] = [];
    for (const { route, provider, tokens: members } of byRoute.values()) {
      if (route.kind === 'instance') {
        groups.push({ provider, credentialId: null, label: {}, tokens: members, send: (notification, list, options) => this.registry.send(provider, notification, list, options) });
        continue;
      }
      const label = { app: route.appId, credential: route.credentialId, ...(route.environment ? { environment: route.environment } : {}) };
      const credential = credentials.get(route.credentialId);
      if (!credential) {
        for (const token of members) refused.push({ token, code: 'credential_missing', detail: `${route.credentialId} of app ${route.appId}` });
        continue;
      }
      try {
        const send = await this.dispatch(workspaceId, route, credential, members, acquired);
        groups.push({ provider, credentialId: route.credentialId, label, tokens: members, send, ...(credential.rate_per_second !== undefined ? { rate: credential.rate_per_second } : {}) });
      } catch (error) {
        // Key material no configured key can decrypt (or a client that could not be built): a clear reason per token, never a crash.
        for (const token of members) refused.push({ token, code: 'credential_unusable', detail: `${route.credentialId} of app ${route.appId} can't be used: ${(error as Error).message}` });
      }
    }
    return { groups, refused, release: () => acquired.forEach((handle) => handle.release()) };
  }

  /** The group's send: its module's dispatch, or one client of the credential. */
  private async dispatch(
    workspaceId: string,
    route: AppRoute,
    credential: { identity: string; settings: unknown },
    members: SendableToken[],
    acquired: AcquiredClient[],
  ): Promise<SendFn> {
    const clientFor = (environment?: ApnsEnvironment) =>
      this.clients.acquire(workspaceId, route.credentialId, credential.identity, route.provider, environment).then((handle) => {
        acquired.push(handle);
        return handle.client;
      });
    const module = providerModule(route.provider);
    if (module.dispatch) return module.dispatch({ route, settings: credential.settings, clientFor, tokens: members });
    const client = await clientFor();
    return (notification, list, options) => client.send(notification, list, options);
  }
}
