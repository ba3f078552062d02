import type { ProviderKey } from '../tokens/token-fields';
import type { Reason } from '../providers/reason';
import type { AppDocument } from './credential-store';

/**
 * Which credential serves a token: the workspace's app named by the token's device.app_id,
 * else its app `default`, else the instance-wide APNS_* / FCM_* credentials, else nothing
 * (the token is `rejected` and stays active). Pure, so every row is a table test.
 */
export type AppsById = ReadonlyMap<string, Pick<AppDocument, 'app_id' | 'apn' | 'firebase-fcm' | 'expo' | 'onesignal'>>;
export type RoutableToken = { provider_key: ProviderKey; app_id?: string | undefined };

export type Route =
  | { kind: 'apn'; appId: string; credentialId: string; topic: string; environment: 'production' | 'sandbox' | 'auto' }
  | { kind: 'firebase-fcm' | 'expo' | 'onesignal'; appId: string; credentialId: string }
  | { kind: 'instance' }
  | ({ kind: 'none' } & Reason);

export const DEFAULT_APP = 'default';

export function routeToken(token: RoutableToken, apps: AppsById, instanceWide: ReadonlySet<ProviderKey>): Route {
  const provider = token.provider_key;
  const named = token.app_id !== undefined ? apps.get(token.app_id) : undefined;
  const app = named?.[provider] ? named : apps.get(DEFAULT_APP)?.[provider] ? apps.get(DEFAULT_APP) : undefined;
  if (app && provider === 'apn') {
    const apn = app.apn!;
    // The default app serves many apps of one team: each token's own app id is its topic.
    const topic = apn.topic ?? (app.app_id === DEFAULT_APP ? token.app_id : app.app_id);
    if (!topic) return { kind: 'none', code: 'apns:no_topic', detail: `no APNs topic for app ${DEFAULT_APP}: it names none and the token has no app_id` };
    return { kind: 'apn', appId: app.app_id, credentialId: apn.credential_id, topic, environment: apn.environment };
  }
  if (app && provider !== 'apn') return { kind: provider, appId: app.app_id, credentialId: app[provider]!.credential_id };
  if (instanceWide.has(provider)) return { kind: 'instance' };
  return { kind: 'none', code: 'no_credentials', detail: token.app_id ?? '(none)' };
}
