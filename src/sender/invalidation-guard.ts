import type { DeliveryResult } from '../providers/provider';
import { APNS_EXPIRED_TOKEN, APNS_UNREGISTERED } from '../providers/apns-classification';
import { EXPO_MALFORMED_TOKEN } from '../providers/expo-classification';
import { ONESIGNAL_MALFORMED_ID } from '../providers/onesignal-classification';
import type { ReasonCode } from '../providers/reason';
import type { ProviderKey } from '../tokens/token-fields';

/**
 * Holds mass invalidations: when more than `maxShare` of one send's tokens of one provider
 * come back dead for the same reason, and there are at least `minTokens` of them to judge,
 * that looks like a project-wide failure (sandbox tokens sent to production, tokens of
 * another app, a broken credential), not like devices that went away. Those invalidations are
 * held: the tokens stay active and the results say why. A real dead share (a few percent
 * per send) goes through.
 *
 * Every dead reason is guarded except an APNs 410 (Unregistered, ExpiredToken): with its
 * timestamp it is Apple's own statement about the device, which no misconfiguration produces;
 * and a stored Expo token or OneSignal id of the wrong format, which is a fact about the
 * stored text, never about the project.
 */
export type GuardPolicy = { minTokens: number; maxShare: number };
export type GuardedResult = { provider: ProviderKey; result: DeliveryResult };
export type HeldGroup = { provider: ProviderKey; reason: ReasonCode; count: number; total: number };

const NEVER_HELD: ReadonlySet<ReasonCode> = new Set([APNS_UNREGISTERED, APNS_EXPIRED_TOKEN, EXPO_MALFORMED_TOKEN, ONESIGNAL_MALFORMED_ID]);

export function findMassInvalidations(results: readonly GuardedResult[], policy: GuardPolicy): HeldGroup[] {
  const totals = new Map<ProviderKey, number>();
  const dead = new Map<string, HeldGroup>();
  for (const { provider, result } of results) {
    totals.set(provider, (totals.get(provider) ?? 0) + 1);
    if (result.outcome !== 'invalid' || result.reason === undefined || NEVER_HELD.has(result.reason)) continue;
    const key = `${provider}\u0000${result.reason}`;
    const group = dead.get(key) ?? { provider, reason: result.reason, count: 0, total: 0 };
    group.count++;
    dead.set(key, group);
  }
  const held: HeldGroup[] = [];
  for (const group of dead.values()) {
    const total = totals.get(group.provider)!;
    if (total >= policy.minTokens && group.count / total > policy.maxShare) held.push({ ...group, total });
  }
  return held;
}

/** The result a held invalidation answers instead: `rejected`, with its code, and `held` saying how many said the same; the token untouched. */
export function heldResult(result: DeliveryResult, group: HeldGroup): DeliveryResult {
  return { token: result.token, outcome: 'rejected', reason: group.reason, ...(result.detail !== undefined ? { detail: result.detail } : {}), held: { count: group.count, total: group.total } };
}

/** How a held result reads in an API answer, after its reason. */
export function heldText(held: { count: number; total: number }): string {
  const share = Math.round((100 * held.count) / held.total);
  return `held: ${held.count} of ${held.total} tokens (${share}%) were reported dead for this one reason at once, which a misconfiguration produces; the tokens stay active`;
}
