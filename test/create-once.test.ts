import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFileOnce } from '../src/create-once';

/** The development key files are created once, whole, even when several processes start at once. */
it('creates the file once, mode 0600, and a second call keeps the first content', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'create-once-'));
  const file = path.join(dir, 'keys');
  createFileOnce(file, () => 'first');
  createFileOnce(file, () => 'second');
  expect(readFileSync(file, 'utf8')).toBe('first');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(readdirSync(dir)).toEqual(['keys']);
});

it('8 processes racing to create it all read back one and the same complete content', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'create-once-race-'));
  const file = path.join(dir, 'keys');
  const script = `
    const { createFileOnce } = require(${JSON.stringify(path.resolve(__dirname, '../src/create-once.ts'))});
    const { readFileSync } = require('node:fs');
    createFileOnce(process.argv[1], () => 'x'.repeat(100000) + process.pid);
    process.stdout.write(readFileSync(process.argv[1], 'utf8'));`;
  const outputs = await Promise.all(
    Array.from({ length: 8 }, () => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
    })),
  );
  expect(new Set(outputs).size).toBe(1);
  expect(outputs[0]!.length).toBeGreaterThan(100000);
  expect(readdirSync(dir)).toEqual(['keys']);
}, 60_000);
