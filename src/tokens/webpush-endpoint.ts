import { blockedHostKind } from '../network/address-filter';

/**
 * Which Web Push endpoints may be registered and sent to. An endpoint is a URL the client
 * chose, and the sender POSTs to it: an SSRF boundary. It must be https on a push service the
 * operator allows (WEBPUSH_ALLOWED_HOSTS: the browsers' own services by default), and, unless
 * WEBPUSH_ALLOW_PRIVATE, not a private or loopback address: written as one here, and after DNS
 * at connection time (network/address-filter.ts).
 */
export type EndpointPolicy = { allowedHosts: readonly string[]; allowPrivate: boolean };

/** Chrome's (FCM), Firefox's (Mozilla autopush), Safari's (Apple) and Edge's (WNS) push services. */
export const DEFAULT_WEBPUSH_HOSTS = ['fcm.googleapis.com', 'updates.push.services.mozilla.com', '*.push.apple.com', '*.notify.windows.com'] as const;

export const DEFAULT_ENDPOINT_POLICY: EndpointPolicy = { allowedHosts: DEFAULT_WEBPUSH_HOSTS, allowPrivate: false };

/**
 * A URL's host (`name` or `name:port`, as URL#host writes it: no port means 443) against the
 * allowlist. `*.example.com` is any name below example.com (not example.com itself). An entry
 * allows only the https port unless it names another: `push.test:8443`, or `127.0.0.1:*` for any
 * (tests and simulators). The browsers' push services all listen on 443, so an endpoint naming
 * another port is someone's attempt to reach a different service on an allowed host.
 */
export function hostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  const [name, port] = splitPort(host.toLowerCase());
  return allowedHosts.some((entry) => {
    const [pattern, allowedPort] = splitPort(entry.toLowerCase());
    const portOk = allowedPort === '*' || (allowedPort ?? '443') === (port ?? '443');
    const nameOk = pattern.startsWith('*.') ? name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1 : name === pattern;
    return portOk && nameOk;
  });
}

/** `name:port` → [name, port]; a bracketed IPv6 literal keeps its colons. */
function splitPort(host: string): [string, string | undefined] {
  const match = /^(.*?):(\d{1,5}|\*)$/.exec(host);
  return match && !match[1]!.endsWith(':') ? [match[1]!, match[2]] : [host, undefined];
}

/** Why an endpoint can't be registered or sent to, or undefined. Never quotes the endpoint (it is a token). */
export function endpointProblem(endpoint: string, policy: EndpointPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'is not a Web Push endpoint (an https URL)';
  }
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (!hostAllowed(url.host, policy.allowedHosts)) return `is not on a push service this service sends to, on its port (WEBPUSH_ALLOWED_HOSTS: ${policy.allowedHosts.join(', ')})`;
  if (policy.allowPrivate) return undefined;
  const kind = blockedHostKind(url.hostname);
  return kind ? `must not be a ${kind} address (WEBPUSH_ALLOW_PRIVATE=true allows it, for tests and private networks)` : undefined;
}

/** The push service an endpoint belongs to, as the console and logs may show it (never the path, which is the secret part). */
export function endpointHost(endpoint: string): string | undefined {
  try {
    return new URL(endpoint).host;
  } catch {
    return undefined;
  }
}
