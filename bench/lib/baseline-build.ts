import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './procs';

/**
 * The service as it was at an earlier commit, built beside this one: a git worktree in a
 * temporary directory, sharing this checkout's node_modules, compiled with its own
 * tsconfig.build.json. A benchmark runs it as the "without the feature" side of a comparison
 * in the same run (the message log's cost: the send benchmark with and without it).
 */
export function buildAt(commit: string, log: (line: string) => void): { root: string } | { skipped: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-baseline-${commit.slice(0, 7)}-`));
  const add = spawnSync('git', ['worktree', 'add', '--detach', dir, commit], { cwd: ROOT, encoding: 'utf8' });
  if (add.status !== 0) return { skipped: `git worktree add ${commit} failed: ${(add.stderr || add.stdout).trim().split('\n').pop()}` };
  if (!existsSync(path.join(dir, 'node_modules'))) symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  log(`building ${commit.slice(0, 7)} in ${dir} (the baseline without the message log)`);
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: dir, encoding: 'utf8' });
  if (build.status !== 0) return { skipped: `the build of ${commit} failed: ${(build.stdout + build.stderr).slice(0, 300)}` };
  return { root: dir };
}

/** Removes a worktree buildAt made. */
export function removeBuild(root: string): void {
  spawnSync('git', ['worktree', 'remove', '--force', root], { cwd: ROOT });
}
