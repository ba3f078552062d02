import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * mongo-java-server, a MongoDB wire-protocol server on the JVM, for tests and the embedded
 * development database on machines where no mongod binary can be had (see
 * docs/storage.md). The jars come from Maven Central through tools/mongo-java-server/pom.xml
 * the first time they are needed. It is a stand-in, never a target: its gaps (no TTL deletion,
 * non-unique indexes that do nothing) are why the service never relies on them.
 */
const TOOL_DIR = path.resolve(__dirname, '../../tools/mongo-java-server');
const LIB_DIR = path.join(TOOL_DIR, 'lib');
/** Below jest's 60 s hook timeout, so a start that is only slow still fails with the server's own output. */
const START_TIMEOUT_MS = 45_000;
const STOP_TIMEOUT_MS = 5_000;

export type RunningMongo = { uri: string; port: number; stop: () => Promise<void> };

function hasJars(): boolean {
  return existsSync(LIB_DIR) && readdirSync(LIB_DIR).some((file) => file.startsWith('mongo-java-server-core'));
}

/** Downloads the jars with Maven if they are not there yet. Throws with Maven's own output. */
export function ensureMongoJavaServerJars(): void {
  if (hasJars()) return;
  const result = spawnSync('mvn', ['-q', '-B', 'dependency:copy-dependencies', `-DoutputDirectory=${LIB_DIR}`], {
    cwd: TOOL_DIR,
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  if (result.error || result.status !== 0 || !hasJars()) {
    const detail = result.error?.message ?? `${result.stdout}\n${result.stderr}`.trim();
    throw new Error(`Could not fetch mongo-java-server with Maven (is Java 17 + Maven installed?): ${detail}`);
  }
}

/** Starts the server on 127.0.0.1 (port 0 picks a free one); `h2File` keeps data across restarts. */
export async function startMongoJavaServer(options: { port?: number; h2File?: string; dbName?: string } = {}): Promise<RunningMongo> {
  ensureMongoJavaServerJars();
  const args = ['-cp', path.join(LIB_DIR, '*'), path.join(TOOL_DIR, 'Launcher.java'), String(options.port ?? 0)];
  if (options.h2File) args.push(options.h2File);
  const child = spawn('java', args, { cwd: TOOL_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mongo-java-server did not start within ${START_TIMEOUT_MS} ms: ${stderr}`));
    }, START_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`Could not run java: ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mongo-java-server exited with code ${code}: ${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /listening on [\d.]+:(\d+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin.end(); // The launcher shuts down cleanly (flushing H2) when its stdin closes.
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stderr as unknown as { unref?: () => void }).unref?.();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return { uri: `mongodb://127.0.0.1:${port}/${options.dbName ?? 'push_tokens'}`, port, stop };
}
