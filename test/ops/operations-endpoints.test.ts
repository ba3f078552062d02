import { execFileSync } from 'node:child_process';
import request from 'supertest';
import type { Express } from 'express';
import { openApiPath } from '../../src/http/openapi';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

let t: TestApp;
let draining = false;
beforeAll(async () => {
  t = await createTestApp({ rateLimitPerMinute: 5, apiKeys: `ws_a:${KEY_A},ws_a:sk_second_key_123` , draining: () => draining });
});
afterAll(async () => {
  await t.close();
});

describe('health', () => {
  it('When the process is up, then /healthz is 200 without a key', async () => {
    expect((await request(t.app).get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
  });

  it('When MongoDB answers, then /readyz is 200; while draining it is 503 with the reason', async () => {
    const ready = await request(t.app).get('/readyz').expect(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { mongodb: 'ok', providers: 'ok', shutting_down: false } });
    draining = true;
    const drainingRes = await request(t.app).get('/readyz').expect(503);
    expect(drainingRes.body.reason).toBe('shutting down');
    expect(drainingRes.headers.connection).toBe('close');
    draining = false;
  });
});

describe('metrics', () => {
  it('When requests and registrations happen, then /metrics shows them by route template, never by token', async () => {
    const token = 'metrics-secret-token-0123456789';
    await request(t.app).put(`/users/m1/tokens/${token}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    await request(t.app).put(`/users/m2/tokens/${token}`).set(bearer(KEY_A)).send({ provider_key: 'apn' }).expect(204);
    const res = await request(t.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/http_request_duration_seconds_count\{method="PUT",route="\/users\/:user_id\/tokens\/:token",status="204"\} 2/);
    expect(res.text).toMatch(/push_tokens_registered_total\{provider="apn",change="created"\} 1/);
    expect(res.text).toMatch(/push_tokens_registered_total\{provider="apn",change="transferred"\} 1/);
    expect(res.text).toContain('process_cpu_user_seconds_total');
    // The backlogs read from MongoDB when scraped: nothing waits here.
    expect(res.text).toMatch(/push_delayed_messages_pending 0/);
    expect(res.text).toMatch(/push_send_results_pending 0/);
    expect(res.text).not.toContain(token);
    expect(res.text).not.toContain('m1');
  });
});

describe('rate limiting', () => {
  it('When a key goes over its limit, then it gets 429 with RateLimit headers; another key and /healthz are unaffected', async () => {
    const statuses: number[] = [];
    let last: request.Response | undefined;
    for (let i = 0; i < 7; i++) {
      last = await request(t.app).get('/users/rl/tokens').set(bearer('sk_second_key_123'));
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(last!.body.type).toBe('rate_limit_error');
    expect(last!.headers['ratelimit-policy']).toMatch(/q=5/);
    expect(last!.headers.ratelimit).toMatch(/r=0/);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    await request(t.app).get('/healthz').expect(200);
    for (let i = 0; i < 10; i++) await request(t.app).get('/metrics').expect(200);
  });
});

/** Every (method, path) the Express app really routes, read from its router stack. */
function servedRoutes(app: Express): string[] {
  const routes: string[] = [];
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) for (const method of Object.keys(layer.route.methods)) routes.push(`${method} ${layer.route.path}`);
      else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return routes.sort();
}

describe('OpenAPI', () => {
  it('When the document is served, then it is valid OpenAPI 3.1', async () => {
    const res = await request(t.app).get('/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    // The validator is ESM-only, which this CommonJS test run can't import: run it in a child.
    const script = `import { Validator } from '@seriousme/openapi-schema-validator';
      let text = ''; for await (const chunk of process.stdin) text += chunk;
      const validator = new Validator();
      const result = await validator.validate(JSON.parse(text));
      process.stdout.write(JSON.stringify({ ...result, version: validator.version }));`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { input: JSON.stringify(res.body), encoding: 'utf8' });
    const result = JSON.parse(output) as { valid: boolean; errors?: unknown; version: string };
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.version).toBe('3.1');
  });

  it('When the app serves a route, then the document describes it, and nothing else', async () => {
    const doc = (await request(t.app).get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`)).sort();
    // The files of the /docs page (Swagger UI's script, style, initializer) are not API routes.
    const served = servedRoutes(t.app)
      .filter((r) => !r.startsWith('get /docs/'))
      .map((r) => {
        const [method, path] = r.split(' ');
        return `${method} ${openApiPath(path!)}`;
      });
    expect(served.length).toBeGreaterThanOrEqual(15);
    expect(documented).toEqual([...new Set(served)].sort());
  });

  it('When the document describes the PUT body, then it comes from the zod schema (enum and unknown fields)', async () => {
    const doc = (await request(t.app).get('/openapi.json')).body;
    const schema = doc.paths['/users/{user_id}/tokens/{token}'].put.requestBody.content['application/json'].schema;
    expect(schema.properties.provider_key.enum).toEqual(['apn', 'firebase-fcm', 'expo', 'onesignal', 'webpush']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['provider_key']);
  });

  it('When /docs is opened, then it is Swagger UI from the package’s own files, with no inline script, reading /openapi.json', async () => {
    const res = await request(t.app).get('/docs').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).not.toMatch(/<script>|<script [^>]*>[^<]/);
    expect(res.text).not.toMatch(/https?:\/\//);
    for (const asset of ['docs/swagger-ui-bundle.js', 'docs/swagger-ui.css', 'docs/init.js']) {
      expect(res.text).toContain(asset);
      await request(t.app).get(`/${asset}`).expect(200);
    }
    expect((await request(t.app).get('/docs/init.js')).text).toContain("'openapi.json'");
    expect((await request(t.app).get('/docs/package.json')).status).not.toBe(200); // only the page's own files are served
  });
});
