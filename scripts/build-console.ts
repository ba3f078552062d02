import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/**
 * `npm run build` runs this: console/src → dist/console/app.js (one minified ES module),
 * plus index.html, app.css and favicon.svg, and prints the gzipped weight (the budget is 200 KB).
 */
const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'dist/console');

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  await build({
    entryPoints: [path.join(ROOT, 'console/src/main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020'],
    outfile: path.join(OUT, 'app.js'),
    legalComments: 'none',
    logLevel: 'warning',
  });
  copyFileSync(path.join(ROOT, 'console/index.html'), path.join(OUT, 'index.html'));
  copyFileSync(path.join(ROOT, 'console/app.css'), path.join(OUT, 'app.css'));
  // The page's own icon: without one, every browser asks for /favicon.ico.
  copyFileSync(path.join(ROOT, 'console/favicon.svg'), path.join(OUT, 'favicon.svg'));
  const gzipped = ['app.js', 'app.css', 'index.html'].map((file) => gzipSync(readFileSync(path.join(OUT, file))).length);
  const total = gzipped.reduce((a, b) => a + b, 0);
  writeFileSync(path.join(OUT, 'weight.json'), JSON.stringify({ gzipped_bytes: total }));
  process.stdout.write(`console built: dist/console (${(total / 1024).toFixed(1)} KB gzipped: scripts, styles and page)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`console build failed: ${(error as Error).message}\n`);
  process.exit(1);
});
