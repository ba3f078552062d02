/// <reference lib="dom" />
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium under playwright-core (browser downloads are not reachable here). Every
 * page records what must fail a test: a console error, an uncaught exception, a CSP violation,
 * or a request that failed or answered an error the test did not expect.
 */
export const SCREENS = path.resolve(__dirname, '../../test-results/screens');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  mkdirSync(SCREENS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    // This machine's network is closed: Chromium's own background connections would only fail.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

export type WatchedPage = { page: Page; problems: string[]; expectStatus: (status: number, urlPart: string) => void };

export async function watchedPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems: string[] = [];
  const expected: { status: number; urlPart: string }[] = [];
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    // Chromium logs every non-2xx fetch as a console error; those are judged by status below.
    if (/^Failed to load resource: the server responded with a status of (\d+)/.test(text)) return;
    problems.push(`console: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`exception: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() < 400) return;
    const index = expected.findIndex((e) => e.status === response.status() && response.url().includes(e.urlPart));
    if (index >= 0) expected.splice(index, 1);
    else problems.push(`unexpected ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  return { page, problems, expectStatus: (status, urlPart) => expected.push({ status, urlPart }) };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENS, `${name}.png`), fullPage: true });
}

/**
 * Requests for paths no route has (a 404): what the browser asks for by itself (a
 * /favicon.ico, an asset the page names wrongly) that Playwright never reports as a page
 * request. Read from the service's own request log lines after `from`. (A 401 before routing,
 * for a wrong key on a real route, also logs no route; the page's events judge those.)
 */
export function unmatchedFailures(logs: readonly string[], from: number): string[] {
  return logs.slice(from).flatMap((line) => {
    if (!line.includes('"msg":"request"')) return [];
    const entry = JSON.parse(line) as { route?: string; status?: number; method?: string };
    return entry.route === 'unmatched' && entry.status === 404 ? [`the service answered 404 to a ${entry.method} on a path no route has`] : [];
  });
}
