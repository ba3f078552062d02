import { MongoClient, ObjectId, type Collection } from 'mongodb';

/**
 * The database work of ours, done with the native driver and nothing else: the baselines
 * (bare-server.ts, express-floor.ts) share it, so they differ from ours only in what runs
 * around it. bench/db-operations.ts counts every side's commands to show they match:
 *
 * - PUT: the same upsert of the whole token (the same $set, $unset, $setOnInsert, $inc and
 *   projection); then, for a token new to the user or grown, the same per-user bounds update
 *   (`user_token_counts`, $inc by a unique key, as src/tokens/user-token-counts.ts does); for a
 *   re-registration of the same token, nothing more;
 * - GET: the same page read.
 */
export type SameWrites = { put: (userId: string, token: string, body: { provider_key: string; properties?: unknown; device?: unknown }) => Promise<void>; list: (userId: string) => Promise<string> };

/** The bytes the per-user bound counts for a token (src/tokens/user-budget.ts measures the same fields). */
const bytesOf = (doc: { token: string; user_id: string; properties?: unknown; device?: unknown }) =>
  Buffer.byteLength(JSON.stringify({ token: doc.token, user_id: doc.user_id, properties: doc.properties ?? {}, device: doc.device }));

export async function connectSameWrites(uri: string): Promise<SameWrites & { close: () => Promise<void> }> {
  // The pool ours uses (src/db/connect.ts).
  const client = await new MongoClient(uri, { maxPoolSize: 50 }).connect();
  const tokens: Collection = client.db().collection('tokens');
  const counts = client.db().collection<{ tokens: number; bytes: number }>('user_token_counts');
  return {
    put: async (userId, token, body) => {
      const now = new Date();
      const properties = body.properties ?? {};
      const before = await tokens.findOneAndUpdate(
        { workspace_id: 'ws_bench', token },
        {
          $set: { user_id: userId, provider_key: body.provider_key, status: 'active', status_reason: null, properties, updated_at: now, device: body.device, expiry_date: new Date(now.getTime() + 60 * 86_400_000) },
          $unset: { tracking: '', keys: '', live_activity: '' },
          $setOnInsert: { _id: new ObjectId(), created_at: now, last_used_at: null },
          $inc: { revision: 1 },
        },
        { upsert: true, returnDocument: 'before', projection: { user_id: 1, expiry_date: 1, status: 1, properties: 1, device: 1, tracking: 1 } },
      );
      const bytes = bytesOf({ token, user_id: userId, properties, device: body.device });
      const added = before === null || before.user_id !== userId;
      const grown = added ? bytes : bytes - bytesOf({ token, user_id: userId, properties: before.properties, device: before.device });
      if (!added && grown <= 0 && before.status === 'active') return;
      await counts.findOneAndUpdate({ workspace_id: 'ws_bench', user_id: userId }, { $inc: { tokens: added ? 1 : 0, bytes: grown } }, { upsert: true, returnDocument: 'after', projection: { tokens: 1, bytes: 1 } });
    },
    list: async (userId) => {
      const now = new Date();
      const docs = await tokens
        .find({ workspace_id: 'ws_bench', user_id: userId, $or: [{ expiry_date: { $exists: false } }, { expiry_date: { $gt: now } }] })
        .sort({ _id: 1 })
        .limit(51)
        .toArray();
      const page = docs.slice(0, 50).map((d) => ({ ...d, _id: undefined }));
      return JSON.stringify({ tokens: page, paging: { cursor: null, more: docs.length > 50 } });
    },
    close: () => client.close(),
  };
}
