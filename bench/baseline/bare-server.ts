import http from 'node:http';
import { MongoClient, ObjectId } from 'mongodb';

/**
 * The baseline for the PUT and GET benchmarks: a bare node:http server that does the same
 * upsert (and the same per-user read) with the native MongoDB driver, against the same
 * database, with the minimum a real endpoint needs (bearer check, JSON parse, provider_key).
 * Usage: node --import tsx bench/baseline/bare-server.ts <mongodb uri> <api key>
 */
const [uri, key] = process.argv.slice(2) as [string, string];
const TOKEN_PATH = /^\/users\/([^/]+)\/tokens\/([^/?]+)$/;
const LIST_PATH = /^\/users\/([^/]+)\/tokens(?:\?.*)?$/;

async function main() {
  const client = await new MongoClient(uri, { maxPoolSize: 50 }).connect();
  const tokens = client.db().collection('tokens');
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
        const now = new Date();
        tokens
          .findOneAndUpdate(
            { workspace_id: 'ws_bench', token: decodeURIComponent(put[2]!) },
            {
              $set: {
                user_id: decodeURIComponent(put[1]!), provider_key: parsed.provider_key, status: 'active', status_reason: null,
                properties: parsed.properties ?? {}, device: parsed.device, updated_at: now, expiry_date: new Date(now.getTime() + 60 * 86_400_000),
              },
              $unset: { tracking: '' },
              $setOnInsert: { _id: new ObjectId(), created_at: now, last_used_at: null },
              $inc: { revision: 1 },
            },
            { upsert: true, returnDocument: 'before', projection: { user_id: 1, expiry_date: 1 } },
          )
          .then(() => res.writeHead(204).end(), () => res.writeHead(500).end());
      });
      return;
    }
    if (list) {
      const now = new Date();
      tokens
        .find({ workspace_id: 'ws_bench', user_id: decodeURIComponent(list[1]!), $or: [{ expiry_date: { $exists: false } }, { expiry_date: { $gt: now } }] })
        .sort({ _id: 1 })
        .limit(51)
        .toArray()
        .then(
          (docs) => {
            const page = docs.slice(0, 50).map((d) => ({ ...d, _id: undefined }));
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ tokens: page, paging: { cursor: null, more: docs.length > 50 } }));
          },
          () => res.writeHead(500).end(),
        );
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`bare server listening on ${(server.address() as import('node:net').AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => client.close().then(() => process.exit(0))));
}

void main();
