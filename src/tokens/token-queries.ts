/**
 * Filters every reader shares. A token whose expiry_date has passed is deleted as far as the
 * service is concerned, even before MongoDB's TTL monitor (which runs once a minute) removes it.
 */
export function notExpired(now: Date) {
  return { $or: [{ expiry_date: { $exists: false } }, { expiry_date: { $gt: now } }] };
}

/** Sendable: active and not expired. */
export function sendable(now: Date) {
  return { status: 'active' as const, ...notExpired(now) };
}
