import { PROVIDER_MODULES } from './catalogue';
import type { Notification } from './provider';

/**
 * Each provider's payload of a notification, measured as that provider will be sent it (its
 * override merged), against its limit: each module measures its own (provider-module.ts). The
 * adapters refuse a token whose payload is too big; POST /send refuses a notification too big
 * for every provider before sending anything.
 */
export type PayloadSize = { provider: string; bytes: number; max: number };

export function payloadSizes(notification: Notification, now: Date): PayloadSize[] {
  return PROVIDER_MODULES.map((module) => ({ provider: module.key, ...module.payloadSize(notification, now) }));
}
