import http from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';
import type { HttpServerLimits } from '../config';
import { MAX_REQUEST_HEADERS } from './header-limit';

/**
 * The HTTP server around the app, with its connection limits set on purpose rather than left
 * at Node's defaults, which let a client that sends one byte every few seconds hold a
 * connection for minutes. docs/operations.md says what the proxy in front should do.
 */
/** How often Node looks for requests past their deadline: the 408 comes at most this late. */
const DEADLINE_CHECK_INTERVAL_MS = 1_000;
/** How long a refused client may keep sending what we will not read before the socket is destroyed. */
const LINGER_MS = 2_000;

const CLIENT_ERRORS: Record<string, { status: string; message: string }> = {
  // Node 24's parser also stops here at more headers than maxHeadersCount (header-limit.ts); Node 20 keeps reading them.
  HPE_HEADER_OVERFLOW: { status: '431 Request Header Fields Too Large', message: `The request line or headers are larger than 16 KB, or there are more than ${MAX_REQUEST_HEADERS} headers` },
  ERR_HTTP_REQUEST_TIMEOUT: { status: '408 Request Timeout', message: 'The request did not arrive in time' },
};
const BAD_REQUEST = { status: '400 Bad Request', message: 'The request is not valid HTTP' };

/**
 * Answers a request Node's parser refused (too large, too slow, malformed) with a 4xx in the
 * API's error shape, then closes the connection gracefully: what the client is still sending
 * is read and dropped until it stops, so the close is a FIN, not a RST that could destroy the
 * answer before the client reads it (Node 24's own handler loses it that way).
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  const responding = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (error.code === 'ECONNRESET' || !socket.writable || responding) {
    socket.destroy();
    return;
  }
  const { status, message } = CLIENT_ERRORS[error.code ?? ''] ?? BAD_REQUEST;
  const body = JSON.stringify({ type: 'invalid_request_error', message });
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

export function createHttpServer(app: Express, limits: HttpServerLimits): http.Server {
  const server = http.createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: DEADLINE_CHECK_INTERVAL_MS,
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  // One more than the service accepts, so a request Node cut short is seen to be over the bound (header-limit.ts).
  server.maxHeadersCount = MAX_REQUEST_HEADERS + 1;
  server.on('clientError', answerClientError);
  return server;
}
