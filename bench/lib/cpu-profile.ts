import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A V8 CPU profile (`node --cpu-prof`) summarized, as a pure function: self time per function,
 * the top N, and the total per group of code (express, zod, pino, the MongoDB driver, ours…),
 * so docs/performance.md can show where a request's CPU goes. Only the summary is committed,
 * never the raw profile.
 */
type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number };
export type CpuProfile = { nodes: ProfileNode[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] };
export type ProfileRow = { function: string; group: string; where: string; self_ms: number; self_pct: number };
export type ProfileSummary = { total_ms: number; busy_ms: number; top: ProfileRow[]; groups: { group: string; self_ms: number; self_pct: number }[] };

/** Which group a frame's code belongs to, from its URL. */
export function groupOf(url: string, functionName: string): string {
  if (url === '') return functionName === '(idle)' ? '(idle)' : functionName === '(garbage collector)' ? 'V8: garbage collector' : 'V8 / native';
  if (url.startsWith('node:')) return 'Node.js core';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) {
    if (['express', 'router', 'body-parser', 'raw-body', 'finalhandler', 'send', 'serve-static', 'path-to-regexp', 'qs', 'content-type', 'type-is', 'mime-types', 'accepts', 'negotiator', 'on-finished', 'statuses', 'http-errors', 'depd', 'parseurl', 'encodeurl', 'escape-html', 'cookie', 'vary', 'fresh', 'etag', 'range-parser', 'proxy-addr', 'forwarded', 'ipaddr.js', 'iconv-lite', 'media-typer', 'merge-descriptors', 'utils-merge', 'debug', 'ms'].includes(pkg)) return 'express (and its modules)';
    if (pkg === 'zod') return 'zod';
    if (pkg.startsWith('pino') || pkg === 'sonic-boom' || pkg === 'fast-redact' || pkg === 'quick-format-unescaped' || pkg === 'safe-stable-stringify' || pkg === 'thread-stream' || pkg === 'atomic-sleep' || pkg === 'on-exit-leak-free') return 'pino';
    if (pkg === 'mongodb' || pkg === 'bson' || pkg === 'mongodb-connection-string-url' || pkg === 'whatwg-url') return 'MongoDB driver (mongodb, bson)';
    if (pkg === 'mongoose' || pkg === 'mpath' || pkg === 'mquery' || pkg === 'kareem' || pkg === 'sift') return 'mongoose';
    if (pkg === 'helmet') return 'helmet';
    if (pkg === 'prom-client' || pkg === 'tdigest' || pkg === 'bintrees') return 'prom-client';
    return pkg;
  }
  if (/\/dist\//.test(url) || /\/src\//.test(url)) return 'ours (src/)';
  return 'other';
}

export function summarizeProfile(profile: CpuProfile, topN = 15): ProfileSummary {
  const total = (profile.endTime - profile.startTime) / 1000;
  const samples = profile.samples ?? [];
  const perSample = samples.length > 0 ? total / samples.length : 0;
  const hits = new Map<number, number>();
  if (samples.length > 0) for (const id of samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  else for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
  const byFunction = new Map<string, ProfileRow>();
  const byGroup = new Map<string, number>();
  for (const node of profile.nodes) {
    const ms = (hits.get(node.id) ?? 0) * perSample;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const group = groupOf(url, functionName);
    byGroup.set(group, (byGroup.get(group) ?? 0) + ms);
    const where = url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`;
    const key = `${functionName}\u0000${where}`;
    const row = byFunction.get(key) ?? { function: functionName || '(anonymous)', group, where, self_ms: 0, self_pct: 0 };
    row.self_ms += ms;
    byFunction.set(key, row);
  }
  const busy = total - (byGroup.get('(idle)') ?? 0);
  const pct = (ms: number) => Math.round((ms / busy) * 1000) / 10;
  const top = [...byFunction.values()]
    .filter((row) => row.group !== '(idle)')
    .sort((a, b) => b.self_ms - a.self_ms)
    .slice(0, topN)
    .map((row) => ({ ...row, self_ms: Math.round(row.self_ms), self_pct: pct(row.self_ms) }));
  const groups = [...byGroup]
    .filter(([group]) => group !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .map(([group, ms]) => ({ group, self_ms: Math.round(ms), self_pct: pct(ms) }));
  return { total_ms: Math.round(total), busy_ms: Math.round(busy), top, groups };
}

/** node_modules/<pkg>/… or src/…, without the machine's own path. */
function shortUrl(url: string): string {
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('node_modules/');
  if (modules >= 0) return file.slice(modules + 'node_modules/'.length);
  const src = file.indexOf('/src/');
  return src >= 0 ? file.slice(src + 1) : path.basename(file);
}

/** The one profile a process wrote into `dir`. */
export function readProfile(dir: string): CpuProfile {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
}
