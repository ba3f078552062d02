import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `npm run test:repeat -- N`: type-checks once, then runs the whole jest suite N times, one run
 * after another, and lists every test that failed at least once with how often. A flaky test
 * is a bug; this is how to find one. Exits 1 if any test failed in any run.
 */
type JestJson = {
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; message: string; assertionResults: { fullName: string; status: string }[] }[];
};

const ROOT = path.resolve(__dirname, '..');
const runs = Number(process.argv[2] ?? '5');
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: npm run test:repeat -- N   (N ≥ 1 whole runs of the suite)\n');
  process.exit(2);
}

const typecheck = spawnSync('npx', ['tsc', '--noEmit'], { cwd: ROOT, stdio: 'inherit' });
if (typecheck.status !== 0) process.exit(1);

const dir = mkdtempSync(path.join(os.tmpdir(), 'test-repeat-'));
const failures = new Map<string, number>();
const started = Date.now();
for (let run = 1; run <= runs; run++) {
  const outputFile = path.join(dir, `run-${run}.json`);
  const runStarted = Date.now();
  const jest = spawnSync('npx', ['jest', '--ci', '--json', `--outputFile=${outputFile}`], {
    cwd: ROOT,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: 'test/simulators/certs/ca.pem' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  let report: JestJson;
  try {
    report = JSON.parse(readFileSync(outputFile, 'utf8')) as JestJson;
  } catch {
    process.stdout.write(`run ${run}: jest wrote no report (exit ${jest.status})\n${jest.stderr.slice(-2000)}\n`);
    failures.set('(the whole run)', (failures.get('(the whole run)') ?? 0) + 1);
    continue;
  }
  const failed: string[] = [];
  for (const file of report.testResults) {
    const relative = path.relative(ROOT, file.name);
    // A file that failed before running any test (a setup error) has no assertion results.
    if (file.assertionResults.length === 0 && file.message) failed.push(`${relative}: (the file failed to run)`);
    for (const test of file.assertionResults) if (test.status === 'failed') failed.push(`${relative}: ${test.fullName}`);
  }
  for (const name of failed) failures.set(name, (failures.get(name) ?? 0) + 1);
  const seconds = Math.round((Date.now() - runStarted) / 1000);
  process.stdout.write(`run ${run}/${runs}: ${report.numPassedTests} passed, ${report.numFailedTests} failed (${seconds} s)\n`);
  for (const name of failed) process.stdout.write(`  failed: ${name}\n`);
}
rmSync(dir, { recursive: true, force: true });

const minutes = ((Date.now() - started) / 60_000).toFixed(1);
process.stdout.write(`\n${runs} run(s) of the whole suite in ${minutes} min on Node ${process.version}.\n`);
if (failures.size === 0) {
  process.stdout.write('No test failed in any run.\n');
} else {
  process.stdout.write('Tests that failed at least once:\n');
  for (const [name, count] of [...failures].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${count}/${runs}  ${name}\n`);
}
process.exit(failures.size === 0 ? 0 : 1);
