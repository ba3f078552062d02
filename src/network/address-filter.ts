import ipaddr from 'ipaddr.js';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';

/**
 * The SSRF boundary shared by everything that POSTs to a URL a caller chose (webhook
 * destinations, Web Push subscription endpoints): no request reaches a loopback, private
 * (RFC 1918, fc00::/7), link-local (cloud metadata), CGNAT, multicast or unspecified address
 * unless private addresses are allowed. The check runs on the address actually connected to,
 * after DNS (request-filtering-agent, over ipaddr.js's ranges), so a name that resolves to a
 * public address today and to 127.0.0.1 tomorrow is refused tomorrow. At registration, a
 * literal address (or `localhost`) that would be refused is caught at once by `blockedHostKind`.
 */

/** What kind of refused address a URL's host is written as (`loopback`, `private`…), or undefined if it may be tried. */
export function blockedHostKind(hostname: string): string | undefined {
  // `localhost.` is `localhost`: a fully qualified name's trailing dot changes nothing it resolves to.
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.+$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  if (ipaddr.isValid(host)) {
    const range = ipaddr.process(host).range();
    if (range !== 'unicast') return range;
  }
  return undefined;
}

export type AgentOptions = { allowPrivate: boolean; keepAlive?: boolean; maxSockets?: number };

/** An https agent that refuses what the policy refuses, after DNS. */
export function filteringHttpsAgent(options: AgentOptions): RequestFilteringHttpsAgent {
  return new RequestFilteringHttpsAgent({
    keepAlive: options.keepAlive ?? true,
    ...(options.maxSockets !== undefined ? { maxSockets: options.maxSockets } : {}),
    allowPrivateIPAddress: options.allowPrivate,
    allowMetaIPAddress: options.allowPrivate,
  });
}

/** The http counterpart (webhooks in development only). */
export function filteringHttpAgent(options: AgentOptions): RequestFilteringHttpAgent {
  return new RequestFilteringHttpAgent({ keepAlive: options.keepAlive ?? true, allowPrivateIPAddress: options.allowPrivate, allowMetaIPAddress: options.allowPrivate });
}

/** Whether an error is the filter's refusal of an address (the request was never sent). */
export function isBlockedAddressError(error: unknown): boolean {
  return error instanceof Error && /^DNS lookup .* is not allowed/.test(error.message);
}
