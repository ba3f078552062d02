import type { Agent } from 'node:http';
import { blockedHostKind, filteringHttpAgent, filteringHttpsAgent } from '../network/address-filter';

/**
 * Where webhooks may go: the service posts to URLs its callers chose, an SSRF boundary. URLs
 * are https (unless WEBHOOK_ALLOW_HTTP), and no request reaches a private address unless
 * WEBHOOK_ALLOW_PRIVATE (network/address-filter.ts, shared with Web Push endpoints). At
 * registration, a literal address (or `localhost`) that would be refused is a 400 at once.
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
  const kind = blockedHostKind(url.hostname);
  return kind ? `must not be a ${kind} address (WEBHOOK_ALLOW_PRIVATE=true allows it, for tests and private networks)` : undefined;
}

/** The agents deliveries go through (kept alive, one pair per dispatcher): they refuse what the policy refuses, after DNS. */
export function filteringAgents(policy: DestinationPolicy): { for: (url: string) => Agent; destroy: () => void } {
  const http = filteringHttpAgent({ allowPrivate: policy.allowPrivate });
  const https = filteringHttpsAgent({ allowPrivate: policy.allowPrivate });
  return {
    for: (url) => (url.startsWith('https:') ? https : http),
    destroy: () => {
      http.destroy();
      https.destroy();
    },
  };
}
