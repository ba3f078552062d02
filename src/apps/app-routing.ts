import type { ProviderKey } from '../tokens/token-fields';
import { providerModule } from '../providers/catalogue';
import type { AppRef, AppRoute } from '../providers/provider-module';
import type { Reason } from '../providers/reason';
import type { AppDocument } from './credential-store';

/**
 * Which credential serves a token: the workspace's app named by the token's device.app_id,
 * else its app `default`, else the instance-wide credentials, else nothing (the token is
 * `rejected` and stays active). What an app's reference means (APNs: a topic and an
 * environment) is its provider module's to say. Pure, so every row is a table test.
 */
export type AppsById = ReadonlyMap<string, Pick<AppDocument, 'app_id'> & Partial<Record<ProviderKey, AppRef>>>;
export type RoutableToken = { provider_key: ProviderKey; app_id?: string | undefined };

export type Route =
  | ({ kind: 'app'; provider: ProviderKey; appId: string } & AppRoute)
  | { kind: 'instance' }
  | ({ kind: 'none' } & Reason);

export const DEFAULT_APP = 'default';

export function routeToken(token: RoutableToken, apps: AppsById, instanceWide: ReadonlySet<ProviderKey>): Route {
  const provider = token.provider_key;
  const named = token.app_id !== undefined ? apps.get(token.app_id) : undefined;
  const app = named?.[provider] ? named : apps.get(DEFAULT_APP)?.[provider] ? apps.get(DEFAULT_APP) : undefined;
  const ref = app?.[provider];
  if (app && ref) {
    const route = providerModule(provider).route?.(ref, app.app_id, token.app_id) ?? { credentialId: ref.credential_id };
    if ('problem' in route) return { kind: 'none', ...route.problem };
    return { kind: 'app', provider, appId: app.app_id, ...route };
  }
  if (instanceWide.has(provider)) return { kind: 'instance' };
  return { kind: 'none', code: 'no_credentials', detail: token.app_id ?? '(none)' };
}
