import http from 'node:http';
import { connectSameWrites } from './same-writes';

/**
 * The baseline for the PUT and GET benchmarks: a bare node:http server doing the same writes
 * and reads as ours (same-writes.ts), with the minimum a real endpoint needs in front (bearer
 * check, JSON parse, provider_key). Usage:
 * node --import tsx bench/baseline/bare-server.ts <mongodb uri> <api key>
 */
const [uri, key] = process.argv.slice(2) as [string, string];
const TOKEN_PATH = /^\/users\/([^/]+)\/tokens\/([^/?]+)$/;
const LIST_PATH = /^\/users\/([^/]+)\/tokens(?:\?.*)?$/;

async function main() {
  const db = await connectSameWrites(uri);
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${key}`) return res.writeHead(401).end();
    const put = req.method === 'PUT' ? TOKEN_PATH.exec(req.url ?? '') : null;
    const list = req.method === 'GET' ? LIST_PATH.exec(req.url ?? '') : null;
    if (put) {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        let parsed: { provider_key?: unknown; properties?: unknown; device?: unknown };
        try {
          parsed = JSON.parse(body);
        } catch {
          return res.writeHead(400).end();
        }
        if (typeof parsed.provider_key !== 'string') return res.writeHead(400).end();
        db.put(decodeURIComponent(put[1]!), decodeURIComponent(put[2]!), { ...parsed, provider_key: parsed.provider_key }).then(
          () => res.writeHead(204).end(),
          () => res.writeHead(500).end(),
        );
      });
      return;
    }
    if (list) {
      db.list(decodeURIComponent(list[1]!)).then(
        (json) => res.writeHead(200, { 'content-type': 'application/json' }).end(json),
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`bare server listening on ${(server.address() as import('node:net').AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => db.close().then(() => process.exit(0))));
}

void main();
