import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Courier's `trackingUrl`: `<PUBLIC_URL>/t/<message id>.<token id>.<mac>`. It names one message
 * and one token; the mac (HMAC-SHA256 under a random key kept on the message, 128 bits shown)
 * makes it unguessable, and an altered URL fails it. Knowing a message id (returned by /send)
 * and a token's _id is not enough to post events for it.
 */
const ID = /^([0-9A-Za-z-]{1,64})\.([0-9a-f]{24})\.([A-Za-z0-9_-]{22})$/;

export function newTrackingKey(): string {
  return randomBytes(32).toString('base64url');
}

function mac(key: string, messageId: string, tokenId: string): string {
  return createHmac('sha256', Buffer.from(key, 'base64url')).update(`${messageId}.${tokenId}`).digest().subarray(0, 16).toString('base64url');
}

export function trackingId(key: string, messageId: string, tokenId: string): string {
  return `${messageId}.${tokenId}.${mac(key, messageId, tokenId)}`;
}

/** The parts of a tracking id, unchecked (the message's key checks them: trackingIdIsValid). */
export function parseTrackingId(text: string): { messageId: string; tokenId: string; mac: string } | undefined {
  const match = ID.exec(text);
  return match ? { messageId: match[1]!, tokenId: match[2]!, mac: match[3]! } : undefined;
}

export function trackingIdIsValid(key: string, parts: { messageId: string; tokenId: string; mac: string }): boolean {
  const expected = Buffer.from(mac(key, parts.messageId, parts.tokenId));
  const given = Buffer.from(parts.mac);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The trackingUrl one token of a message carries: PUBLIC_URL/t/<tracking id>. */
export function trackingUrl(publicUrl: URL, key: string, messageId: string, tokenId: string): string {
  // new URL('t/x', base) keeps base's path only when it ends in a slash.
  const base = publicUrl.href.endsWith('/') ? publicUrl.href : `${publicUrl.href}/`;
  return new URL(`t/${trackingId(key, messageId, tokenId)}`, base).toString();
}
