import http2 from 'node:http2';

/**
 * Redirects firebase-admin to FCM_ENDPOINT (a local simulator) instead of Google, keeping TLS
 * verification on: the simulator's certificate must be trusted through NODE_EXTRA_CA_CERTS and
 * valid for the endpoint's host. Two things need redirecting (../shared/reference/provider-sdks.md):
 *
 * - The service-account OAuth exchange: see fcm-oauth.ts.
 * - Sends go over HTTP/2 to https://fcm.googleapis.com with no SDK option for the origin, so
 *   http2.connect is wrapped for that one origin. The wrapper also sends `:scheme` as `https`:
 *   the SDK sends `https:`, which Google accepts and Node's HTTP/2 server resets.
 *
 * Only installed when FCM_ENDPOINT is set; production traffic to Google is never touched.
 */
export const FCM_SEND_ORIGIN = 'https://fcm.googleapis.com';

type Connect = typeof http2.connect;
/** Where FCM's origin goes, and how many live clients asked for it (several Firebase apps share it). */
const redirects = new Map<string, { endpoint: URL; users: number }>();
let originalConnect: Connect | undefined;

/** Sends HTTP/2 sessions for FCM's origin to `endpoint` until every client that asked has called its returned function. */
export function redirectFcmSends(endpoint: URL): () => void {
  if (!originalConnect) {
    const original = http2.connect;
    originalConnect = original;
    const wrapped = ((authority: string | URL, ...rest: unknown[]) => {
      const target = redirects.get(new URL(String(authority)).origin)?.endpoint;
      if (!target) return (original as (...args: unknown[]) => http2.ClientHttp2Session)(authority, ...rest);
      const session = (original as (...args: unknown[]) => http2.ClientHttp2Session)(target.origin, ...rest);
      const request = session.request.bind(session);
      session.request = ((headers?: http2.OutgoingHttpHeaders, options?: http2.ClientSessionRequestOptions) =>
        request({ ...headers, ':scheme': 'https' }, options)) as typeof session.request;
      return session;
    }) as Connect;
    http2.connect = wrapped;
  }
  const current = redirects.get(FCM_SEND_ORIGIN);
  if (current && current.endpoint.origin === endpoint.origin) current.users++;
  else redirects.set(FCM_SEND_ORIGIN, { endpoint, users: 1 });
  let undone = false;
  return () => {
    const entry = redirects.get(FCM_SEND_ORIGIN);
    if (undone || !entry || entry.endpoint.origin !== endpoint.origin) return;
    undone = true;
    // The last client to go takes the redirect with it; the others keep sending to the endpoint.
    if (--entry.users === 0) redirects.delete(FCM_SEND_ORIGIN);
  };
}
