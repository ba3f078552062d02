import type { Router } from 'express';
import type { TokenStatsService } from '../tokens/token-stats';
import { principalOf, requireScope } from './auth';
import { caseSensitiveRouter } from './router';

/** GET /stats: the console's overview figures (src/tokens/token-stats.ts), for API keys with tokens:read. */
export function statsRoutes(stats: TokenStatsService): Router {
  const router = caseSensitiveRouter();
  router.get('/stats', requireScope('tokens:read'), async (_req, res) => {
    res.json(await stats.get(principalOf(res).workspaceId));
  });
  return router;
}
