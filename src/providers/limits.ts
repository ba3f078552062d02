/**
 * Provider limits, named so code and docs cite the same numbers.
 */

/** FCM sendEach takes at most 500 messages a call (firebase-admin FCM_MAX_BATCH_SIZE; FCM HTTP v1 batch limit). */
export const FCM_MAX_BATCH_SIZE = 500;

/**
 * APNs promises no stream count (servers commonly advertise 1,000). An unbounded burst of
 * 20k notifications has failed with NGHTTP2_ENHANCE_YOUR_CALM (parse-community/node-apn#142),
 * so the adapter caps what is in flight; APNS_MAX_IN_FLIGHT overrides this default.
 */
export const APNS_DEFAULT_MAX_IN_FLIGHT = 500;

/** node-apn's own retries happen with no delay between them; the sender's back-off replaces them. */
export const APNS_SDK_RETRIES = 0;

/** How many sendEach calls (each its own HTTP/2 session of ≤100 streams) run at once. */
export const FCM_DEFAULT_CONCURRENT_BATCHES = 2;

/** An APNs device token is hexadecimal; node-apn silently strips anything else, so check first. */
export const APNS_TOKEN_PATTERN = /^[0-9a-fA-F]{8,200}$/;
