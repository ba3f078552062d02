import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import { buildOpenApiDocument } from './openapi';
import { caseSensitiveRouter } from './router';

/**
 * /openapi.json, and /docs: Swagger UI (swagger-ui-dist, served from the package's own files,
 * nothing from a CDN) reading /openapi.json, so the reference never drifts from the routes and
 * a person can paste an API key ("Authorize") and try a request. Swagger UI over Scalar: its
 * standalone bundle is about half the size, and it runs under the service's CSP (scripts from
 * 'self' only; its initializer is a file here, not an inline script).
 */
const SWAGGER_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png'];

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>API reference · push-token-registry</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <noscript>The interactive reference needs JavaScript; the machine-readable one is at <a href="openapi.json">/openapi.json</a>.</noscript>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script src="docs/init.js"></script>
</body>
</html>
`;

// Relative URLs, so the page also works behind a proxy that serves the service under a prefix.
const INIT = `window.ui = SwaggerUIBundle({
  url: new URL('openapi.json', document.baseURI).toString(),
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: true,
  persistAuthorization: false,
  displayRequestDuration: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
`;

export function docsRoutes(): Router {
  const document = buildOpenApiDocument();
  const router = caseSensitiveRouter();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  // Routing is not strict, so /docs/ lands here too; the page's relative asset links need the
  // bare path (from /docs/ they would resolve to /docs/docs/…), so it redirects there.
  router.get('/docs', (req, res) => {
    if (req.path.endsWith('/')) return res.redirect(301, '../docs');
    res.type('html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').set('cache-control', 'no-cache').send(INIT);
  });
  const assets = express.static(SWAGGER_DIR, { index: false, maxAge: '1d', fallthrough: true });
  for (const file of SWAGGER_FILES) {
    router.get(`/docs/${file}`, (req, res, next) => {
      req.url = `/${file}`;
      assets(req, res, next);
    });
  }
  return router;
}

export const swaggerAvailable = (): boolean => SWAGGER_FILES.every((file) => existsSync(path.join(SWAGGER_DIR, file)));
