import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createTestApp, KEY_A, type TestApp } from '../support/test-app';

/**
 * Issue 13, finding 8: an authenticated body sent one byte every 5 s used to hold its
 * connection for 324 s, and connections were uncapped. Now the service's own HTTP server
 * answers 408 when a request has not fully arrived within REQUEST_TIMEOUT, and closes
 * connections beyond MAX_CONNECTIONS.
 */
let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await createTestApp({ http: { requestTimeoutMs: 1_000, headersTimeoutMs: 1_000, keepAliveTimeoutMs: 5_000, maxConnections: 3 } });
  await new Promise<void>((resolve) => t.server.listen(0, '127.0.0.1', () => resolve()));
  port = (t.server.address() as AddressInfo).port;
});
afterAll(async () => {
  t.server.closeAllConnections();
  await new Promise((resolve) => t.server.close(resolve));
  await t.close();
});

/** Opens a connection, writes `head`, then trickles `body` a byte at a time until the server answers or closes. */
function trickle(head: string, body: string, everyMs: number): Promise<{ response: string; bytesSent: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let response = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const next = () => {
      if (sent < body.length && socket.writable) {
        socket.write(body[sent++]!);
        timer = setTimeout(next, everyMs);
      }
    };
    socket.on('connect', () => {
      socket.write(head);
      next();
    });
    socket.on('data', (chunk) => (response += chunk.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ response, bytesSent: sent });
    });
    socket.on('error', reject);
  });
}

it('When a body trickles in slower than REQUEST_TIMEOUT allows, then the answer is a 408 and the connection closes', async () => {
  const body = JSON.stringify({ provider_key: 'apn', properties: { slow: 'x'.repeat(40) } });
  const head = `PUT /users/slow/tokens/slow-token HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY_A}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const { response, bytesSent } = await trickle(head, body, 200);
  expect(response).toMatch(/^HTTP\/1\.1 408 /);
  expect(response).toContain('"type":"invalid_request_error"');
  expect(bytesSent).toBeLessThan(body.length);
  expect(await t.model.countDocuments({ token: 'slow-token' })).toBe(0);
}, 20_000);

it('When headers trickle in, then the answer is a 408 too', async () => {
  const { response } = await trickle('', `GET /users/slow/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY_A}\r\n${'X-Pad: y\r\n'.repeat(20)}\r\n`, 200);
  expect(response).toMatch(/^HTTP\/1\.1 408 /);
}, 20_000);

it('When more connections than MAX_CONNECTIONS arrive, then the extra ones are closed at once', async () => {
  const open = await Promise.all(
    Array.from({ length: 3 }, () => new Promise<net.Socket>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    })),
  );
  // Each of the three is held by the server (it has started reading a request on it).
  for (const socket of open) socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
  const extra = net.connect(port, '127.0.0.1');
  const closedWithoutAnswer = await new Promise<boolean>((resolve) => {
    let answered = false;
    extra.on('connect', () => extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    extra.on('data', () => (answered = true));
    extra.on('close', () => resolve(!answered));
    extra.on('error', () => undefined);
  });
  expect(closedWithoutAnswer).toBe(true);
  for (const socket of open) socket.destroy();
});

it('The service’s server has its limits set, not left at Node’s defaults', () => {
  expect(t.server.requestTimeout).toBe(1_000);
  expect(t.server.headersTimeout).toBe(1_000);
  expect(t.server.keepAliveTimeout).toBe(5_000);
  expect(t.server.maxConnections).toBe(3);
});
