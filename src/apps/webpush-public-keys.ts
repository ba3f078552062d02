import { NotFoundError } from '../errors';
import type { CredentialStore } from './credential-store';
import { DEFAULT_APP, routeToken } from './app-routing';

/**
 * GET /webpush/public-key: the VAPID public key a page passes to pushManager.subscribe as its
 * applicationServerKey. It must be the key the service will sign with for that app's tokens,
 * or every push service answers 401/403; so it is found exactly as a send routes a token
 * (app-routing.ts): the app's webpush credential, else the `default` app's, else the
 * instance-wide WEBPUSH_VAPID_PUBLIC_KEY. Public keys only: no secret is read.
 */
export type PublicKeyAnswer = { public_key: string; app_id: string | null; credential_id: string | null };

export class WebPushPublicKeys {
  constructor(
    private readonly store: CredentialStore,
    private readonly instancePublicKey: string | undefined,
  ) {}

  async forApp(workspaceId: string, appId: string | undefined): Promise<PublicKeyAnswer> {
    const apps = await this.store.appsById(workspaceId, [...(appId !== undefined ? [appId] : []), DEFAULT_APP]);
    const route = routeToken({ provider_key: 'webpush', app_id: appId }, apps, new Set(this.instancePublicKey ? (['webpush'] as const) : []));
    if (route.kind === 'app') {
      const credential = (await this.store.credentialsById(workspaceId, [route.credentialId])).get(route.credentialId);
      const key = (credential?.settings as { vapid_public_key?: string } | undefined)?.vapid_public_key;
      if (!key) throw new NotFoundError(`App ${route.appId} names webpush credential ${route.credentialId}, which does not exist`);
      return { public_key: key, app_id: route.appId, credential_id: route.credentialId };
    }
    if (route.kind === 'instance' && this.instancePublicKey) return { public_key: this.instancePublicKey, app_id: null, credential_id: null };
    throw new NotFoundError('No VAPID key serves this app: PUT a webpush credential and name it in the app (or the default app), or set WEBPUSH_VAPID_*');
  }
}
