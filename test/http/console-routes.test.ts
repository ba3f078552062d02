import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { consoleRoutes } from '../../src/http/console-routes';
import { createTestApp } from '../support/test-app';
import { buildApp } from '../../src/app';
import { createLogger } from '../../src/logger';

/** /console: static files with the service's CSP, a redirect to the trailing slash, and CONSOLE_ENABLED=false. */
it('serves the built console under /console/, redirecting /console there, with the service CSP', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'console-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(path.join(dir, 'app.js'), 'export {};');
  const app = express().use(consoleRoutes(dir));
  expect((await request(app).get('/console').expect(301)).headers.location).toBe('console/');
  expect((await request(app).get('/console/').expect(200)).text).toContain('<title>console</title>');
  await request(app).get('/console/app.js').expect(200).expect('content-type', /javascript/);
});

it('says how to build it when it is not built', async () => {
  const app = express().use(consoleRoutes(null));
  expect((await request(app).get('/console/').expect(404)).text).toMatch(/npm run build/);
});

it('CONSOLE_ENABLED=false removes it', async () => {
  const t = await createTestApp();
  try {
    const off = buildApp({ ...t, logger: createLogger('silent'), config: { apiKeys: [], trustProxy: false, rateLimitPerMinute: 0, authFailuresPerMinute: 0, corsOrigins: undefined, consoleEnabled: false, messages: { maxDelayMs: 1000 }, webhooks: { allowHttp: false, allowPrivate: false } } });
    // A path no route has: 404, with no authentication asked (issue 18).
    await request(off).get('/console').expect(404);
    const on = (await request(t.app).get('/console'));
    expect(on.status).toBe(301);
    expect(on.headers['content-security-policy']).toMatch(/script-src 'self'/);
  } finally {
    await t.close();
  }
});
