import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = path.resolve(__dirname, '../..');

/** Pins a child to a core with taskset where it exists, so server and load generator don't share one. */
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;
export const pinning = hasTaskset ? 'taskset' : 'none (taskset not found)';

/** Every child still running; killed when this process exits, however it exits. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** `watch`: told every line from now on, until the returned function is called. */
export type Proc = { child: ChildProcess; lines: string[]; stop: () => Promise<void>; watch: (listener: (line: string) => void) => () => void };

/** Spawns `command args` on `core` and resolves when a line matches `ready` (its match is returned). */
export async function startProcess(
  command: string,
  args: string[],
  options: { core?: number; env?: Record<string, string>; ready: RegExp; timeoutMs?: number },
): Promise<{ proc: Proc; match: RegExpExecArray }> {
  const [cmd, argv] = hasTaskset && options.core !== undefined ? ['taskset', ['-c', String(options.core), command, ...args]] : [command, args];
  const child = spawn(cmd, argv, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const tell = (line: string) => listeners.forEach((listener) => listener(line));
  createInterface({ input: child.stdout! }).on('line', tell);
  createInterface({ input: child.stderr! }).on('line', tell);
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${lines.slice(-5).join('\n')}`)), options.timeoutMs ?? 90_000);
    const onLine = (line: string) => {
      lines.push(line);
      if (lines.length > 2000) lines.shift();
      const m = options.ready.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    listeners.add(onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}: ${lines.slice(-5).join('\n')}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const watch = (listener: (line: string) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return { proc: { child, lines, stop, watch }, match };
}

/** The built service (dist/server.js) of this checkout, or of another build (`root`: bench/lib/baseline-build.ts). */
export async function startService(options: { node: string; core: number; env: Record<string, string>; root?: string; nodeArgs?: string[] }) {
  const { proc, match } = await startProcess(options.node, [...(options.nodeArgs ?? []), path.join(options.root ?? ROOT, 'dist/server.js')], {
    core: options.core,
    // The default log level (info, a line per request): the cost of logging is part of the service.
    env: { LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', RATE_LIMIT_PER_MINUTE: '0', ...options.env },
    ready: /"port":(\d+),"msg":"listening"/,
  });
  return { proc, url: `http://127.0.0.1:${match[1]}` };
}

export function nodeVersion(node: string): string {
  return spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/** The line a server started with `--require bench/lib/count-commands.cjs` prints on SIGUSR2: its commands since the last. */
export async function readCommandCounts(proc: Proc): Promise<Record<string, number>> {
  let stopWatching = () => {};
  const seen = new Promise<Record<string, number>>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error('no bench-commands line within 10 s')), 10_000);
    stopWatching = proc.watch((line) => {
      if (!line.startsWith('bench-commands ')) return;
      clearTimeout(deadline);
      resolve(JSON.parse(line.slice('bench-commands '.length)) as Record<string, number>);
    });
  });
  proc.child.kill('SIGUSR2');
  try {
    return await seen;
  } finally {
    stopWatching();
  }
}

export const COUNT_COMMANDS = ['--require', path.join(ROOT, 'bench/lib/count-commands.cjs')];

/** Live memory after a full collection (a server started with --expose-gc and COUNT_COMMANDS), `samples` times. */
export async function readLiveMemory(proc: Proc, samples: number): Promise<{ heap_used_mib: number; rss_mib: number }[]> {
  const out: { heap_used_mib: number; rss_mib: number }[] = [];
  for (let i = 0; i < samples; i++) {
    let stopWatching = () => {};
    const seen = new Promise<{ heap_used_mib: number; rss_mib: number }>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('no bench-memory line within 10 s')), 10_000);
      stopWatching = proc.watch((line) => {
        if (!line.startsWith('bench-memory ')) return;
        clearTimeout(deadline);
        resolve(JSON.parse(line.slice('bench-memory '.length)));
      });
    });
    proc.child.kill('SIGUSR2');
    try {
      out.push(await seen);
    } finally {
      stopWatching();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return out;
}
