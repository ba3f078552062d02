/**
 * Why a token got its outcome, as a protocol: a **code** that code may match on, and a
 * **detail** for people. Codes are stable: they are stored as a failed token's `status_reason`,
 * label metrics, and key the mass-invalidation guard. Details are free text (an exception's
 * message, the app a credential was missing for) and are never matched on.
 *
 * A provider's codes are tagged with the provider (`apns:Unregistered`, `fcm:UNREGISTERED`,
 * `expo:DeviceNotRegistered`); each adapter and its classification own their tag, and the
 * codes the rest of the service matches on are exported as constants next to that
 * classification. The service's own codes, for tokens no provider answered for, are below.
 */
export type ProviderCode = `${string}:${string}`;

/** The service's own codes, and how each reads in an API answer (with its detail). */
const OWN_TEXT = {
  no_adapter: () => 'no adapter',
  no_credentials: (detail?: string) => `no credentials for app ${detail ?? '(none)'}`,
  credential_missing: (detail?: string) => `credential ${detail ?? ''} does not exist`,
  credential_unusable: (detail?: string) => `credential ${detail ?? ''}`,
  no_answer: () => 'no answer from the provider adapter',
} as const satisfies Record<string, (detail?: string) => string>;
export type OwnCode = keyof typeof OWN_TEXT;

export type ReasonCode = ProviderCode | OwnCode;
export type Reason = { code: ReasonCode; detail?: string };

function isOwnCode(code: ReasonCode): code is OwnCode {
  return Object.hasOwn(OWN_TEXT, code);
}

/** How a reason reads in an API answer and a log line: `apns:BadTopic`, `expo:http_401 (the project requires …)`, `no credentials for app X`. */
export function reasonText(code: ReasonCode, detail?: string): string {
  if (isOwnCode(code)) return OWN_TEXT[code](detail);
  return detail ? `${code} (${detail})` : code;
}

/**
 * The codes that mean a provider refused our credential, not a token: a send reports each
 * (the webhooks' delivery.held). Table-tested in test/providers/reason.test.ts.
 */
const CREDENTIAL_REFUSALS = [
  /^apns:(InvalidProviderToken|BadCertificate|BadCertificateEnvironment|Forbidden|MissingProviderToken|TooManyProviderTokenUpdates)$/,
  /^fcm:(THIRD_PARTY_AUTH_ERROR|INVALID_CREDENTIAL|UNAUTHENTICATED|PERMISSION_DENIED|SENDER_ID_MISMATCH)$/,
  /^expo:(InvalidCredentials|MismatchSenderId|http_401|http_403)$/,
  /^onesignal:access_denied$/,
  /^webpush:(401|403)$/,
];
export function isCredentialRefusal(code: string): boolean {
  return CREDENTIAL_REFUSALS.some((pattern) => pattern.test(code));
}


/**
 * A provider saying the sender is over its rate, not that anything is wrong with a token:
 * FCM's QUOTA_EXCEEDED, APNs' TooManyRequests, a 429 from Expo, Web Push or OneSignal. A
 * broadcast slows the whole credential on one (broadcast/rate-budget.ts).
 */
const RATE_CODES: ReadonlySet<string> = new Set(['fcm:QUOTA_EXCEEDED', 'apns:TooManyRequests', 'expo:http_429', 'expo:TOO_MANY_REQUESTS', 'webpush:429', 'onesignal:rate_limited']);

export function isRateAnswer(result: { outcome: string; reason?: ReasonCode; retryAfterMs?: number }): boolean {
  return result.outcome === 'retryable' && (result.retryAfterMs !== undefined || (result.reason !== undefined && RATE_CODES.has(result.reason)));
}
