import type { DeliveryConfig } from '../providers/provider-settings';
import { PROVIDER_MODULES, providerModule } from '../providers/catalogue';
import type { PushProvider } from '../providers/provider';
import type { ApnsEnvironment } from '../providers/provider-module';
import type { ProviderKey } from '../tokens/token-fields';
import { settingsOf, type CredentialStore } from './credential-store';

/**
 * The live provider clients built from API credentials: one per credential identity and
 * APNs environment, reused by every send (never built per send: APNs limits how often a
 * provider JWT may be refreshed). Every send reads its credentials' identities from the
 * database first (credentialIdentity: new whenever the key is written, deleted and created
 * again, or rekeyed), and a cached client whose identity differs is retired, never reused: so
 * a credential replaced or deleted through the API stops being used by the next send on every
 * replica, and the old client closes once no send uses it. Clients unused
 * for `clientIdleMs` are closed, and at most `maxClients` live at once (least recently used
 * first). This is the only code that decrypts key material, and it never hands it out.
 */
type Entry = {
  key: string;
  provider: ProviderKey;
  identity: string;
  client: Promise<PushProvider>;
  users: number;
  lastUsed: number;
  retired: boolean;
};

/** A cached client in use by one send; release it when the send is done (not a queue claim: see queue/leased-queue.ts). */
export type AcquiredClient = { client: PushProvider; release: () => void };

export class ProviderClients {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(
    private readonly store: CredentialStore,
    private readonly config: DeliveryConfig,
    options: { now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.closeIdle(), Math.min(60_000, Math.max(1_000, config.clientIdleMs / 2)));
    this.sweeper.unref();
  }

  /** A client for one credential as it is at `identity` (and one APNs environment); release it when the send is done. */
  async acquire(workspaceId: string, credentialId: string, identity: string, provider: ProviderKey, environment?: ApnsEnvironment): Promise<AcquiredClient> {
    const key = [workspaceId, credentialId, provider, environment ?? ''].join('\u0000');
    let entry = this.entries.get(key);
    // Any other identity, older or newer: a credential created again starts at revision 1.
    if (entry && entry.identity !== identity) {
      this.retire(entry);
      entry = undefined;
    }
    if (!entry) {
      entry = { key, provider, identity, client: this.build(workspaceId, credentialId, identity, provider, environment), users: 0, lastUsed: this.now(), retired: false };
      this.entries.set(key, entry);
      entry.client.catch(() => this.entries.get(key) === entry && this.entries.delete(key));
      this.evictOverflow();
    }
    const inUse = entry;
    inUse.users++;
    inUse.lastUsed = this.now();
    let client: PushProvider;
    try {
      client = await inUse.client;
    } catch (error) {
      inUse.users--;
      throw error;
    }
    let released = false;
    return {
      client,
      release: () => {
        if (released) return;
        released = true;
        inUse.users--;
        inUse.lastUsed = this.now();
        if (inUse.retired && inUse.users === 0) void this.closeEntry(inUse);
      },
    };
  }

  private async build(workspaceId: string, credentialId: string, identity: string, provider: ProviderKey, environment?: ApnsEnvironment): Promise<PushProvider> {
    const { doc, material } = await this.store.keyMaterial(workspaceId, credentialId, identity);
    if (doc.provider_key !== provider) throw new Error(`credential ${credentialId} is a ${doc.provider_key} credential, not ${provider}`);
    return providerModule(provider).client(material, settingsOf(doc), { delivery: this.config, ...(environment ? { environment } : {}) });
  }

  /** Live clients per provider, for /metrics. */
  counts(): Record<ProviderKey, number> {
    const counts = Object.fromEntries(PROVIDER_MODULES.map(({ key }) => [key, 0])) as Record<ProviderKey, number>;
    for (const entry of this.entries.values()) counts[entry.provider]++;
    return counts;
  }

  closeIdle(): void {
    const cutoff = this.now() - this.config.clientIdleMs;
    for (const entry of [...this.entries.values()]) if (entry.users === 0 && entry.lastUsed <= cutoff) this.retire(entry);
  }

  private evictOverflow(): void {
    if (this.entries.size <= this.config.maxClients) return;
    const idle = [...this.entries.values()].filter((entry) => entry.users === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const entry of idle) {
      if (this.entries.size <= this.config.maxClients) break;
      this.retire(entry);
    }
  }

  /** Out of the cache at once; closed as soon as no send is using it. */
  private retire(entry: Entry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    entry.retired = true;
    if (entry.users === 0) void this.closeEntry(entry);
  }

  private async closeEntry(entry: Entry): Promise<void> {
    const client = await entry.client.catch(() => undefined);
    await client?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((entry) => this.closeEntry(entry)));
  }
}
