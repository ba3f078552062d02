import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SIMULATOR_CA_FILE } from '../simulators/sim-server';
import type { SimulatedProviders } from './simulated-providers';

/**
 * The real service as a child process (src/server.ts through tsx), configured only through its
 * environment, as in production. Resolves once it logs that it is listening.
 */
export type ServiceProcess = { child: ChildProcess; port: number; url: string; logs: string[]; exited: Promise<number | null> };

const ROOT = path.resolve(__dirname, '../..');

export function simulatorEnv(sims: SimulatedProviders): Record<string, string> {
  return {
    NODE_EXTRA_CA_CERTS: SIMULATOR_CA_FILE,
    APNS_KEY_FILE: sims.creds.apns.keyFile,
    APNS_KEY_ID: sims.creds.apns.keyId,
    APNS_TEAM_ID: sims.creds.apns.teamId,
    APNS_TOPIC: sims.creds.apns.topic,
    APNS_ENDPOINT: sims.apns.url,
    FCM_SERVICE_ACCOUNT_FILE: sims.creds.fcm.serviceAccountFile,
    FCM_ENDPOINT: sims.fcm.url,
  };
}

export async function startServiceProcess(env: Record<string, string>, nodeArgs: string[] = []): Promise<ServiceProcess> {
  // tsx as a loader in this one process (not its CLI, which would put a second process between
  // the test and the service's signal handlers).
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(ROOT, 'src/server.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stderr! }).on('line', (line) => logs.push(line));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start: ${logs.slice(-5).join('\n')}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      const match = /"port":(\d+),"msg":"listening"/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}: ${logs.slice(-5).join('\n')}`));
    });
  });
  return { child, port, url: `http://127.0.0.1:${port}`, logs, exited };
}
