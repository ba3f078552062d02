import type { ProviderKey } from '../tokens/token-fields';
import { apnsModule } from './apns-module';
import { expoModule } from './expo-module';
import { fcmModule } from './fcm-module';
import { oneSignalModule } from './onesignal-module';
import type { ProviderModule } from './provider-module';
import { webPushModule } from './webpush-module';

/**
 * The one list of provider modules (provider-module.ts). Credentials, apps, routing, the client
 * cache, the instance-wide adapters and the admin CLI all iterate this list; a provider is
 * added here and in its own module (and its key in tokens/token-fields.ts).
 */
export const PROVIDER_MODULES: readonly ProviderModule[] = [apnsModule, fcmModule, expoModule, oneSignalModule, webPushModule];

const BY_KEY = new Map(PROVIDER_MODULES.map((module) => [module.key, module]));

export function providerModule(key: ProviderKey): ProviderModule {
  const module = BY_KEY.get(key);
  if (!module) throw new Error(`no provider module for ${key}`);
  return module;
}
