import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import { caseSensitiveRouter } from './router';

/**
 * The operator's console (console/, built by `npm run build` into dist/console): static files
 * under /console/. The page calls the public API with the API key a person signs in with, so
 * it needs no privileges of its own; CONSOLE_ENABLED=false removes these routes.
 */
const CANDIDATES = [path.resolve(__dirname, '../console'), path.resolve(__dirname, '../../dist/console')];

export function consoleDirectory(): string | undefined {
  return CANDIDATES.find((dir) => existsSync(path.join(dir, 'index.html')));
}

/** `dir`: where the built console is; null when it is not built. */
export function consoleRoutes(dir: string | null = consoleDirectory() ?? null): Router {
  const router = caseSensitiveRouter();
  // One route, whether built or not. Routing is not strict, so /console/ lands here too: only
  // the bare path redirects (relative asset URLs need the trailing slash).
  router.get('/console', (req, res, next) => {
    if (!req.path.endsWith('/')) return res.redirect(301, 'console/');
    if (!dir) return void res.status(404).type('text').send('The console is not built: run `npm run build` (npm start does).\n');
    next();
  });
  if (dir) router.use('/console', express.static(dir, { index: 'index.html', maxAge: 0, redirect: false }));
  return router;
}
