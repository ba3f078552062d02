import { caseSensitiveRouter } from './router';
import type { Router } from 'express';
import type { Metrics } from '../metrics';

/** What readiness depends on. Each check answers quickly: the database ping has its own timeout. */
export type HealthChecks = {
  database: () => Promise<boolean>;
  providers: () => boolean;
  draining: () => boolean;
};

/**
 * Unauthenticated operational endpoints. /healthz: the process is up (a liveness probe).
 * /readyz: it can serve (MongoDB answers, providers loaded, not shutting down). /metrics: Prometheus.
 */
export function healthRoutes(checks: HealthChecks, metrics: Metrics): Router {
  const router = caseSensitiveRouter();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [database, providers, draining] = await Promise.all([checks.database(), checks.providers(), checks.draining()]);
    const reasons = [
      ...(database ? [] : ['mongodb is unreachable']),
      ...(providers ? [] : ['push providers are not ready']),
      ...(draining ? ['shutting down'] : []),
    ];
    res.status(reasons.length === 0 ? 200 : 503).json({
      status: reasons.length === 0 ? 'ready' : 'unavailable',
      checks: { mongodb: database ? 'ok' : 'down', providers: providers ? 'ok' : 'down', shutting_down: draining },
      ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
    });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.text());
  });
  return router;
}
