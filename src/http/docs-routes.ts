import { caseSensitiveRouter } from './router';
import type { Router } from 'express';
import { buildOpenApiDocument } from './openapi';

/** /openapi.json and /docs, a plain reference page rendered from it (no scripts, no CDN). */
export function docsRoutes(): Router {
  const document = buildOpenApiDocument();
  const page = renderReference(document);
  const router = caseSensitiveRouter();
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(page);
  });
  return router;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

type Operation = {
  summary: string;
  description?: string;
  parameters?: { name: string; in: string; required: boolean; schema: unknown }[];
  requestBody?: { content: { 'application/json': { schema: unknown } } };
  responses: Record<string, { description: string; content?: { 'application/json': { schema: unknown } } }>;
};

function renderReference(document: Record<string, unknown>): string {
  const info = document.info as { title: string; description: string };
  const sections: string[] = [];
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? [])
        .map((p) => `<tr><td><code>${escape(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : ''}</td><td><code>${escape(JSON.stringify(p.schema))}</code></td></tr>`)
        .join('');
      const body = op.requestBody ? `<h4>Body</h4><pre>${escape(JSON.stringify(op.requestBody.content['application/json'].schema, null, 2))}</pre>` : '';
      const responses = Object.entries(op.responses)
        .map(([status, r]) => `<li><b>${status}</b> ${escape(r.description)}${r.content ? `<details><summary>schema</summary><pre>${escape(JSON.stringify(r.content['application/json'].schema, null, 2))}</pre></details>` : ''}</li>`)
        .join('');
      sections.push(`<section><h3><span class="m">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3><p>${escape(op.summary)}${op.description ? ` ${escape(op.description.replace(/`/g, ''))}` : ''}</p>${params ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>${params}</table>` : ''}${body}<h4>Responses</h4><ul>${responses}</ul></section>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(info.title)} API</title><style>
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
section{border-top:1px solid #ddd;padding:.5rem 0}.m{background:#245;color:#fff;padding:.1rem .4rem;border-radius:.2rem;font-size:.8rem}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:.8rem}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .4rem;font-size:.85rem;text-align:left}
</style></head><body><h1>${escape(info.title)}</h1><p>${escape(info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;key&gt;</code>.</p>${sections.join('')}</body></html>`;
}
