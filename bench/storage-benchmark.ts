import { BSON, MongoClient, ObjectId } from 'mongodb';
import { connectMongo } from '../src/db/connect';
import { createLogger } from '../src/logger';
import { ensureTokenIndexes, tokenModel } from '../src/tokens/token-model';
import { round } from './lib/stats';

/**
 * Storage: loads N realistic token documents (the shape the service writes) and reports bytes
 * per document and per index entry, and the projection to 100M tokens. Sizes come from the
 * server's collStats where it reports them, and are always also computed from the BSON itself.
 */
const DAY = 86_400_000;

function realisticToken(i: number, now: Date) {
  const apns = i % 2 === 0;
  const token = apns
    ? BigInt(i).toString(16).padStart(64, '0')
    : `${Buffer.from(String(i)).toString('base64url').padEnd(11, 'x')}:APA91b${Buffer.from(`token-${i}-${'z'.repeat(90)}`).toString('base64url').slice(0, 140)}`;
  return {
    _id: new ObjectId(),
    workspace_id: `ws_${i % 20}`,
    user_id: `user-${Math.floor(i / 2)}`,
    token,
    provider_key: apns ? 'apn' : 'firebase-fcm',
    status: 'active',
    status_reason: null,
    properties: i % 3 === 0 ? { plan: 'pro', locale: 'en-GB' } : {},
    device: apns
      ? { app_id: 'com.example.app', device_id: `dev-${i}`, platform: 'ios', manufacturer: 'Apple', model: 'iPhone16,1' }
      : { app_id: 'com.example.app', device_id: `dev-${i}`, platform: 'android', manufacturer: 'Google', model: 'Pixel 8', app_version: '2.1.0' },
    tracking: { os_version: apns ? '17.2' : '14' },
    expiry_date: new Date(now.getTime() + 60 * DAY),
    created_at: now,
    updated_at: now,
    last_used_at: null,
    revision: 1,
  };
}

export async function storageBenchmark(options: { mongoUri: string; tokens: number; log: (line: string) => void }) {
  const { connection } = await connectMongo(options.mongoUri, 10_000, createLogger('silent'));
  const model = tokenModel(connection);
  await model.collection.drop().catch(() => undefined);
  await ensureTokenIndexes(model);
  const client = new MongoClient(options.mongoUri);
  await client.connect();
  const collection = client.db().collection('tokens');
  const now = new Date();
  let bsonBytes = 0;
  const keyBytes = { workspace_token_unique: 0, workspace_user: 0, expiry_ttl: 0, status_updated: 0 };
  const started = Date.now();
  const BATCH = 1000;
  for (let start = 0; start < options.tokens; start += BATCH) {
    const docs = Array.from({ length: Math.min(BATCH, options.tokens - start) }, (_, j) => realisticToken(start + j, now));
    for (const d of docs) {
      bsonBytes += BSON.calculateObjectSize(d);
      keyBytes.workspace_token_unique += BSON.calculateObjectSize({ a: d.workspace_id, b: d.token });
      keyBytes.workspace_user += BSON.calculateObjectSize({ a: d.workspace_id, b: d.user_id, c: d._id });
      keyBytes.expiry_ttl += BSON.calculateObjectSize({ a: d.expiry_date });
      keyBytes.status_updated += BSON.calculateObjectSize({ a: d.status, b: d.updated_at });
    }
    await collection.insertMany(docs, { ordered: false });
    if ((start / BATCH) % 100 === 0) options.log(`storage: loaded ${start + docs.length}/${options.tokens}`);
  }
  const loadSeconds = (Date.now() - started) / 1000;
  let collStats: Record<string, unknown> | undefined;
  try {
    collStats = await client.db().command({ collStats: 'tokens' });
  } catch (error) {
    collStats = { unavailable: (error as Error).message };
  }
  await client.close();
  await connection.close();
  const n = options.tokens;
  // Each BSON size above includes the 5-byte document framing and 1-byte field names; subtract
  // that framing so "key bytes" is the key values an index stores.
  const perKey = Object.fromEntries(Object.entries(keyBytes).map(([name, total]) => [name, round(total / n - 5, 1)]));
  const perDoc = bsonBytes / n;
  const indexKeyBytesPerToken = Object.values(perKey).reduce((a, b) => a + b, 0);
  const projection = (count: number) => ({
    documents_gb: round((perDoc * count) / 1e9, 1),
    index_keys_gb: round((indexKeyBytesPerToken * count) / 1e9, 1),
  });
  return {
    tokens: n,
    load_seconds: round(loadSeconds, 1),
    bson_bytes_per_document: round(perDoc, 1),
    index_key_bytes_per_entry: perKey,
    index_key_bytes_per_token: round(indexKeyBytesPerToken, 1),
    server_collstats: collStats
      ? Object.fromEntries(['count', 'size', 'avgObjSize', 'storageSize', 'totalIndexSize', 'indexSizes', 'unavailable'].filter((k) => k in collStats!).map((k) => [k, collStats![k]]))
      : undefined,
    projection_100m_uncompressed: projection(100_000_000),
  };
}
