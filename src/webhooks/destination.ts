import ipaddr from 'ipaddr.js';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import type { Agent } from 'node:http';

/**
 * Where webhooks may go: the service posts to URLs its callers chose, an SSRF boundary. URLs
 * are https (unless WEBHOOK_ALLOW_HTTP), and no request reaches a loopback, private (RFC 1918,
 * fc00::/7), link-local (cloud metadata), CGNAT, multicast or unspecified address, unless
 * WEBHOOK_ALLOW_PRIVATE. The address check runs on the address actually connected to, after
 * DNS (request-filtering-agent, over ipaddr.js's ranges): a name that resolves to a public
 * address today and to 127.0.0.1 tomorrow is refused tomorrow. At registration, a literal
 * address (or `localhost`) that would be refused is a 400 at once.
 */
export type DestinationPolicy = { allowHttp: boolean; allowPrivate: boolean };

/** Why a URL can't be registered, or undefined when it can. */
export function destinationProblem(text: string, policy: DestinationPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) return policy.allowHttp ? 'must be an http or https URL' : 'must be an https URL (WEBHOOK_ALLOW_HTTP=true allows http, for development)';
  if (url.username || url.password) return 'must not carry credentials';
  if (policy.allowPrivate) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'must not be a loopback address (WEBHOOK_ALLOW_PRIVATE=true allows it, for tests and private networks)';
  if (ipaddr.isValid(host)) {
    const range = ipaddr.process(host).range();
    if (range !== 'unicast') return `must not be a ${range} address (WEBHOOK_ALLOW_PRIVATE=true allows it, for tests and private networks)`;
  }
  return undefined;
}

/** The agents deliveries go through (kept alive, one pair per dispatcher): they refuse what the policy refuses, after DNS. */
export function filteringAgents(policy: DestinationPolicy): { for: (url: string) => Agent; destroy: () => void } {
  const options = { keepAlive: true, allowPrivateIPAddress: policy.allowPrivate, allowMetaIPAddress: policy.allowPrivate };
  const http = new RequestFilteringHttpAgent(options);
  const https = new RequestFilteringHttpsAgent(options);
  return {
    for: (url) => (url.startsWith('https:') ? https : http),
    destroy: () => {
      http.destroy();
      https.destroy();
    },
  };
}
