import type { Agent } from 'node:https';
import { filteringHttpsAgent } from '../network/address-filter';
import type { WebPushDelivery } from './provider-settings';

/**
 * The connections Web Push requests go out on, shared by every Web Push client (the
 * instance-wide one and each app's credential) with the same settings: kept alive per push
 * service, at most `connectionsPerHost` at once to one service (requests beyond wait for a
 * connection), and through the SSRF filter (network/address-filter.ts) unless
 * WEBPUSH_ALLOW_PRIVATE. Counted, so the agent is destroyed when the last client closes.
 */
type Shared = { agent: Agent; users: number };
const shared = new Map<string, Shared>();

export type Transport = { agent: Agent; release: () => void };

export function acquireTransport(delivery: Pick<WebPushDelivery, 'endpoints' | 'connectionsPerHost'>): Transport {
  const key = `${delivery.endpoints.allowPrivate}\u0000${delivery.connectionsPerHost}`;
  let entry = shared.get(key);
  if (!entry) {
    entry = { agent: filteringHttpsAgent({ allowPrivate: delivery.endpoints.allowPrivate, keepAlive: true, maxSockets: delivery.connectionsPerHost }), users: 0 };
    shared.set(key, entry);
  }
  const used = entry;
  used.users++;
  let released = false;
  return {
    agent: used.agent,
    release: () => {
      if (released) return;
      released = true;
      used.users--;
      if (used.users === 0) {
        if (shared.get(key) === used) shared.delete(key);
        used.agent.destroy();
      }
    },
  };
}
