import type { TokenModel } from './token-model';
import { notExpired } from './token-queries';

/**
 * The figures of the console's overview (GET /stats), by aggregation, cached per workspace for
 * `cacheMs` so a dashboard left open doesn't rescan. Cost (docs/storage.md): the counts read
 * the workspace's tokens once through the `workspace_user` index (one pass for both the
 * provider/status table and the users without a sendable token); the invalidation chart reads
 * only tokens failed in the last 30 days, through `status_updated`.
 */
export type TokenStats = {
  generated_at: string;
  tokens: { provider_key: string; status: string; count: number }[];
  /** Tokens that became `failed` per UTC day over the last 30 days, by reason (the state now: a failed token PUT again no longer counts). */
  invalidated_per_day: { day: string; reason: string; count: number }[];
  users: { total: number; without_sendable_token: number };
  /** Messages sent per UTC day over the last 30 days, how many of them were opened (tracking), and the share. */
  opened_per_day: { day: string; sent: number; opened: number; open_rate: number | null }[];
};

/** Where the open rate comes from (src/messages/message-store.ts), without tokens/ depending on messages/. */
export type SentPerDay = { perDay(workspaceId: string, since: Date): Promise<{ day: string; sent: number; opened: number }[]> };

const DAY_MS = 86_400_000;
export const STATS_DAYS = 30;

export class TokenStatsService {
  private readonly cache = new Map<string, { at: number; stats: Promise<TokenStats> }>();

  constructor(
    private readonly model: TokenModel,
    private readonly options: { cacheMs: number; now?: () => Date; messages?: SentPerDay },
  ) {}

  get(workspaceId: string): Promise<TokenStats> {
    const now = (this.options.now ?? (() => new Date()))();
    const cached = this.cache.get(workspaceId);
    if (cached && now.getTime() - cached.at < this.options.cacheMs) return cached.stats;
    const stats = this.compute(workspaceId, now);
    this.cache.set(workspaceId, { at: now.getTime(), stats });
    stats.catch(() => this.cache.get(workspaceId)?.stats === stats && this.cache.delete(workspaceId));
    return stats;
  }

  private async compute(workspaceId: string, now: Date): Promise<TokenStats> {
    const since = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - (STATS_DAYS - 1) * DAY_MS);
    const collection = this.model.collection;
    const live = { workspace_id: workspaceId, ...notExpired(now) };
    const [byKind, byUser, failed, days] = await Promise.all([
      collection.aggregate<{ _id: { p: string; s: string }; n: number }>([{ $match: live }, { $group: { _id: { p: '$provider_key', s: '$status' }, n: { $sum: 1 } } }]).toArray(),
      collection
        .aggregate<{ _id: null; total: number; without: number }>([
          { $match: live },
          { $group: { _id: '$user_id', sendable: { $max: { $cond: [{ $eq: ['$status', 'active'] }, 1, 0] } } } },
          { $group: { _id: null, total: { $sum: 1 }, without: { $sum: { $cond: [{ $eq: ['$sendable', 0] }, 1, 0] } } } },
        ])
        .toArray(),
      // Grouped by day here, not in the pipeline: date operators differ between servers, and the rows are few.
      collection
        .find({ status: 'failed', updated_at: { $gte: since }, workspace_id: workspaceId }, { projection: { _id: 0, updated_at: 1, status_reason: 1 } })
        .toArray() as unknown as Promise<{ updated_at: Date; status_reason?: string | null }[]>,
      this.options.messages?.perDay(workspaceId, since) ?? Promise.resolve([]),
    ]);
    const perDay = new Map<string, number>();
    for (const doc of failed) {
      const key = `${doc.updated_at.toISOString().slice(0, 10)}\u0000${doc.status_reason ?? 'unknown'}`;
      perDay.set(key, (perDay.get(key) ?? 0) + 1);
    }
    return {
      generated_at: now.toISOString(),
      tokens: byKind.map((row) => ({ provider_key: row._id.p, status: row._id.s, count: row.n })).sort((a, b) => a.provider_key.localeCompare(b.provider_key) || a.status.localeCompare(b.status)),
      invalidated_per_day: [...perDay].map(([key, count]) => {
        const [day, reason] = key.split('\u0000') as [string, string];
        return { day, reason, count };
      }).sort((a, b) => a.day.localeCompare(b.day) || a.reason.localeCompare(b.reason)),
      users: { total: byUser[0]?.total ?? 0, without_sendable_token: byUser[0]?.without ?? 0 },
      opened_per_day: days.map(({ day, sent, opened }) => ({ day, sent, opened, open_rate: sent > 0 ? Math.round((opened / sent) * 1000) / 1000 : null })),
    };
  }
}
