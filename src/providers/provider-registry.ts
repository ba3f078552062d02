import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { InstanceProviderSettings } from './provider-settings';
import type { ProviderKey } from '../tokens/token-fields';
import { ApnsProvider } from './apns-provider';
import { FcmProvider, type FcmServiceAccount } from './fcm-provider';
import { NO_ADAPTER, type DeliveryResult, type Notification, type PushProvider, type SendOptions } from './provider';
import { OneSignalProvider } from './onesignal-provider';
import { ExpoProvider } from './expo-provider';

export class ProviderConfigError extends Error {
  constructor(problems: string[]) {
    super(`Push provider configuration is incomplete:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ProviderConfigError';
  }
}

/**
 * The adapters by provider_key, built once at start-up from config. Credentials are read and
 * checked here, so a bad key file stops start-up with a clear message instead of failing on
 * the first send. Closed on shutdown.
 */
export class ProviderRegistry {
  private constructor(private readonly providers: Map<ProviderKey, PushProvider>) {}

  static fromConfig(config: InstanceProviderSettings): ProviderRegistry {
    const problems: string[] = [];
    const providers = new Map<ProviderKey, PushProvider>();
    const apnsKey = config.apns ? readApnsKey(config.apns.keyFile, problems) : undefined;
    const fcmAccount = config.fcm ? readServiceAccount(config.fcm.serviceAccountFile, problems) : undefined;
    if (problems.length > 0) throw new ProviderConfigError(problems);
    if (config.apns && apnsKey) {
      const { keyId, teamId, topic, production, endpoint, maxInFlight } = config.apns;
      providers.set('apn', new ApnsProvider({ signingKey: apnsKey, keyId, teamId, topic, production, maxInFlight, ...(endpoint ? { endpoint } : {}) }));
    }
    if (config.fcm && fcmAccount) {
      const { endpoint, concurrentBatches, batchTimeoutMs } = config.fcm;
      providers.set('firebase-fcm', new FcmProvider({ serviceAccount: fcmAccount, concurrentBatches, batchTimeoutMs, ...(endpoint ? { endpoint } : {}) }));
    }
    if (config.onesignal) providers.set('onesignal', new OneSignalProvider(config.onesignal));
    if (config.expo) providers.set('expo', new ExpoProvider(config.expo));
    return new ProviderRegistry(providers);
  }

  static of(providers: PushProvider[]): ProviderRegistry {
    return new ProviderRegistry(new Map(providers.map((p) => [p.key, p])));
  }

  get(key: ProviderKey): PushProvider | undefined {
    return this.providers.get(key);
  }

  /** Sends through the provider for `key`, or answers `rejected: no adapter` for every token. */
  async send(key: ProviderKey, notification: Notification, tokens: readonly string[], options?: SendOptions): Promise<DeliveryResult[]> {
    const provider = this.providers.get(key);
    if (!provider) return tokens.map((token) => ({ token, outcome: 'rejected', reason: NO_ADAPTER }));
    return provider.send(notification, tokens, options);
  }

  configured(): ProviderKey[] {
    return [...this.providers.keys()];
  }

  ready(): boolean {
    return [...this.providers.values()].every((p) => p.ready());
  }

  async close(): Promise<void> {
    await Promise.all([...this.providers.values()].map((p) => p.close()));
  }
}

function readApnsKey(file: string, problems: string[]): string | undefined {
  try {
    const pem = readFileSync(file, 'utf8');
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ec') throw new Error('it is not an EC (ES256) key');
    return pem;
  } catch (error) {
    problems.push(`APNS_KEY_FILE ${file} is not a readable .p8 signing key: ${(error as Error).message}`);
    return undefined;
  }
}

function readServiceAccount(file: string, problems: string[]): FcmServiceAccount | undefined {
  try {
    let account: Partial<FcmServiceAccount>;
    try {
      account = JSON.parse(readFileSync(file, 'utf8')) as Partial<FcmServiceAccount>;
    } catch (error) {
      // JSON.parse quotes the text it chokes on, which here is a private key: say less.
      if (error instanceof SyntaxError) throw new Error('it is not valid JSON');
      throw error;
    }
    const missing = (['project_id', 'client_email', 'private_key'] as const).filter((field) => typeof account[field] !== 'string' || !account[field]);
    if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}`);
    createPrivateKey(account.private_key!);
    return account as FcmServiceAccount;
  } catch (error) {
    problems.push(`FCM_SERVICE_ACCOUNT_FILE ${file} is not a usable service account JSON: ${(error as Error).message}`);
    return undefined;
  }
}
