import { constants, mkdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import path from 'node:path';
import { startMongoJavaServer, type RunningMongo } from './mongo-java-server';

/**
 * Which local MongoDB to run for development, tests and benchmarks, decided before anything
 * is started or downloaded, so that a machine with no internet falls back at once and quietly:
 *   1. MONGOMS_SYSTEM_BINARY, the variable mongodb-memory-server itself reads;
 *   2. a `mongod` on the PATH;
 *   3. a mongod that mongodb-memory-server downloaded before (its cache);
 *   4. a download by mongodb-memory-server, only if the download host resolves within a second;
 *   5. otherwise mongo-java-server (docs/storage.md).
 * mongodb-memory-server is a dev dependency, loaded only here and only when needed.
 */
export type LocalMongoEngine = 'mongod' | 'mongo-java-server';
export type LocalMongoPlan = { engine: 'mongod'; binary: string | undefined; why: string } | { engine: 'mongo-java-server'; why: string };
export type LocalMongo = RunningMongo & { engine: LocalMongoEngine; why: string };

export type LocalMongoOptions = {
  /** MONGOMS_SYSTEM_BINARY, passed in by the caller (config.ts is the only reader of the environment). */
  systemBinary?: string | undefined;
  /** PATH, likewise. */
  searchPath?: string | undefined;
  /** How long the download host may take to resolve before we call the machine offline. */
  lookupTimeoutMs?: number;
  /** Replaces DNS in tests. */
  resolveHost?: (host: string) => Promise<unknown>;
};

const DEFAULT_DOWNLOAD_HOST = 'fastdl.mongodb.org';
const LOOKUP_TIMEOUT_MS = 1_000;

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onSearchPath(name: string, searchPath: string | undefined): Promise<string | undefined> {
  for (const dir of (searchPath ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

type MemoryServerModule = typeof import('mongodb-memory-server');

async function loadMemoryServer(): Promise<MemoryServerModule | undefined> {
  try {
    return (await import('mongodb-memory-server')) as MemoryServerModule;
  } catch {
    return undefined;
  }
}

/** The host mongodb-memory-server would download from (its DOWNLOAD_URL / DOWNLOAD_MIRROR settings). */
async function downloadHost(): Promise<string> {
  try {
    const { resolveConfig, ResolveConfigVariables } = await import('mongodb-memory-server-core/lib/util/resolveConfig');
    const configured = resolveConfig(ResolveConfigVariables.DOWNLOAD_URL) ?? resolveConfig(ResolveConfigVariables.DOWNLOAD_MIRROR);
    return configured ? new URL(configured).hostname : DEFAULT_DOWNLOAD_HOST;
  } catch {
    return DEFAULT_DOWNLOAD_HOST;
  }
}

async function resolvesInTime(host: string, timeoutMs: number, resolveHost: (host: string) => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const resolved = resolveHost(host).then(
    () => true,
    () => false,
  );
  return Promise.race([resolved, timeout]).finally(() => clearTimeout(timer));
}

export async function planLocalMongo(options: LocalMongoOptions = {}): Promise<LocalMongoPlan> {
  if (options.systemBinary) {
    if (await isExecutable(options.systemBinary)) return { engine: 'mongod', binary: options.systemBinary, why: 'MONGOMS_SYSTEM_BINARY' };
    return { engine: 'mongo-java-server', why: `MONGOMS_SYSTEM_BINARY=${options.systemBinary} is not an executable file` };
  }
  const memoryServer = await loadMemoryServer();
  if (!memoryServer) return { engine: 'mongo-java-server', why: 'mongodb-memory-server is not installed (a dev dependency)' };
  const onPath = await onSearchPath('mongod', options.searchPath);
  if (onPath) return { engine: 'mongod', binary: onPath, why: `mongod on the PATH (${onPath})` };
  // An empty version means mongodb-memory-server's own default (or its MONGOMS_VERSION).
  const cached = await memoryServer.DryMongoBinary.locateBinary({ version: '' }).catch(() => undefined);
  if (cached) return { engine: 'mongod', binary: undefined, why: `mongod in mongodb-memory-server's cache (${cached})` };
  const host = await downloadHost();
  const online = await resolvesInTime(host, options.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS, options.resolveHost ?? ((h) => lookup(h)));
  if (online) return { engine: 'mongod', binary: undefined, why: `downloading mongod from ${host}` };
  return { engine: 'mongo-java-server', why: `no mongod installed or cached, and ${host} can't be resolved (offline)` };
}

export type StartLocalMongoOptions = LocalMongoOptions & {
  /** Keep data in this folder across restarts; without it, data lives in memory. */
  dataDir?: string;
  port?: number;
  dbName?: string;
  /** A one-line notice; a failure to start a mongod that was found is reported in full. */
  log: (line: string, detail?: Error) => void;
};

/** Starts the planned engine. A mongod that was found but fails to start is a real problem: its full error is logged before the fallback. */
export async function startLocalMongo(options: StartLocalMongoOptions): Promise<LocalMongo> {
  const plan = await planLocalMongo(options);
  if (plan.engine === 'mongod') {
    try {
      const running = await startMongod(plan.binary, options);
      options.log(`MongoDB: mongod, because of ${plan.why}`);
      return { ...running, engine: 'mongod', why: plan.why };
    } catch (error) {
      options.log(`MongoDB: mongod (${plan.why}) failed to start; falling back to mongo-java-server`, error as Error);
    }
  }
  const why = plan.engine === 'mongo-java-server' ? plan.why : 'mongod failed to start';
  const running = await startMongoJavaServer({
    port: options.port,
    dbName: options.dbName,
    h2File: options.dataDir ? path.join(options.dataDir, 'mongo-java-server.mv.db') : undefined,
  });
  options.log(`MongoDB: mongo-java-server, because ${why}`);
  return { ...running, engine: 'mongo-java-server', why };
}

async function startMongod(binary: string | undefined, options: StartLocalMongoOptions): Promise<RunningMongo> {
  const { MongoMemoryServer } = (await loadMemoryServer())!;
  const persistent = options.dataDir !== undefined;
  if (persistent) mkdirSync(path.join(options.dataDir!, 'mongod'), { recursive: true });
  const server = await MongoMemoryServer.create({
    instance: {
      ...(options.port ? { port: options.port } : {}),
      ...(persistent ? { dbPath: path.join(options.dataDir!, 'mongod'), storageEngine: 'wiredTiger' as const } : {}),
    },
    ...(binary ? { binary: { systemBinary: binary } } : {}),
  });
  const uri = server.getUri(options.dbName ?? 'push_tokens');
  return {
    uri,
    port: Number(new URL(uri).port),
    stop: async () => {
      await server.stop({ doCleanup: !persistent });
    },
  };
}
