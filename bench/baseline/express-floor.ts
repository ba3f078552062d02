import express from 'express';
import helmet from 'helmet';
import { connectSameWrites } from './same-writes';

/**
 * What the design's fixed choices cost by themselves: an Express 5 app with helmet and
 * express.json (as ours, the design's stack) and one route per benchmark, doing the same
 * writes and reads as ours (same-writes.ts), and nothing else: no request id, log line,
 * metrics, CORS, validation, scopes or bounds. Ours can't be faster than this without
 * leaving Express; docs/performance.md reads ours against it and against the bare server.
 * Usage: node --import tsx bench/baseline/express-floor.ts <mongodb uri> <api key>
 */
const [uri, key] = process.argv.slice(2) as [string, string];

async function main() {
  const db = await connectSameWrites(uri);
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet());
  app.use((req, res, next) => (req.headers.authorization === `Bearer ${key}` ? next() : res.status(401).end()));
  app.use(express.json({ limit: 64 * 1024 }));
  app.put('/users/:user_id/tokens/:token', async (req, res) => {
    const body = req.body as { provider_key?: unknown; properties?: unknown; device?: unknown };
    if (typeof body?.provider_key !== 'string') return void res.status(400).end();
    await db.put(req.params.user_id, req.params.token, { ...body, provider_key: body.provider_key });
    res.status(204).end();
  });
  app.get('/users/:user_id/tokens', async (req, res) => {
    res.type('application/json').send(await db.list(req.params.user_id));
  });
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`express floor listening on ${(server.address() as import('node:net').AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => db.close().then(() => process.exit(0))));
}

void main();
