import type { InstanceProviderSettings } from './provider-settings';
import type { ProviderKey } from '../tokens/token-fields';
import { PROVIDER_MODULES } from './catalogue';
import { NO_ADAPTER, type DeliveryResult, type Notification, type PushProvider, type SendOptions } from './provider';

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
    for (const module of PROVIDER_MODULES) {
      const provider = module.instance(config, problems);
      if (provider) providers.set(module.key, provider);
    }
    if (problems.length > 0) {
      void Promise.all([...providers.values()].map((p) => p.close()));
      throw new ProviderConfigError(problems);
    }
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
