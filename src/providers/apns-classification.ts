import type { DeliveryOutcome } from './provider';
import type { ProviderCode } from './reason';

/** The APNs codes the rest of the service matches on (reason.ts). */
export const APNS_UNREGISTERED = 'apns:Unregistered' satisfies ProviderCode;
export const APNS_EXPIRED_TOKEN = 'apns:ExpiredToken' satisfies ProviderCode;
/** Under environment `auto`, production's BadDeviceToken means "try the sandbox" (delivery-router.ts). */
export const APNS_BAD_DEVICE_TOKEN = 'apns:BadDeviceToken' satisfies ProviderCode;

/**
 * APNs answers → outcomes, per ../shared/reference/provider-errors.md (Apple, "Handling
 * notification responses from APNs"). Classification is on the HTTP status and the `reason`
 * code, never on free text. The rule that matters most: only answers about the token itself
 * make it dead; credential, config and payload errors never touch tokens.
 */
export type ApnsAnswer = {
  /** HTTP status; undefined when the stream died without one (connection lost, timeout). */
  status?: number;
  reason?: string;
  /** 410 Unregistered: milliseconds since the epoch when the token stopped being valid. */
  timestamp?: number;
};

export type Classification = { outcome: DeliveryOutcome; reason?: ProviderCode; invalidSince?: Date };

// DeviceTokenNotForTopic is not here: the token is alive, it belongs to another app than the
// topic we sent with. That is a routing error of ours (the reference table), so it is
// `rejected` and the token is left alone.
const DEAD_REASONS = new Set(['Unregistered', 'ExpiredToken', 'BadDeviceToken']);
const TRANSIENT_REASONS = new Set(['TooManyRequests', 'InternalServerError', 'ServiceUnavailable', 'Shutdown', 'ExpiredProviderToken']);

export function classifyApns(answer: ApnsAnswer): Classification {
  const { status, reason } = answer;
  const tagged: ProviderCode = `apns:${reason ?? (status ? String(status) : 'no status')}`;
  if (status === 200) return { outcome: 'delivered' };
  // The stream ended with no status: the connection dropped or timed out. Never about the token.
  if (status === undefined) return { outcome: 'retryable', reason: tagged };
  if (status === 410 && (reason === 'Unregistered' || reason === 'ExpiredToken')) {
    const invalidSince = typeof answer.timestamp === 'number' && answer.timestamp > 0 ? new Date(answer.timestamp) : undefined;
    return { outcome: 'invalid', reason: tagged, ...(invalidSince ? { invalidSince } : {}) };
  }
  if (status === 400 && reason !== undefined && DEAD_REASONS.has(reason)) return { outcome: 'invalid', reason: tagged };
  // ExpiredProviderToken: our JWT is stale; node-apn regenerates it, so a retry goes out with a fresh one.
  if (status === 403 && reason === 'ExpiredProviderToken') return { outcome: 'retryable', reason: tagged };
  // TooManyProviderTokenUpdates is JWT churn on our side: config, not load.
  if (status === 429 && reason === 'TooManyProviderTokenUpdates') return { outcome: 'rejected', reason: tagged };
  if (status === 429 || status >= 500) return { outcome: 'retryable', reason: tagged };
  if (reason !== undefined && TRANSIENT_REASONS.has(reason)) return { outcome: 'retryable', reason: tagged };
  // 400 (our payload/topic/headers), 403 (credentials), 405, 413, anything else: not the token's fault.
  return { outcome: 'rejected', reason: tagged };
}
