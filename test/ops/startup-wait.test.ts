import { startRestartableMongo, type RestartableMongo } from '../support/restartable-mongo';
import { startServiceProcess, type ServiceProcess } from '../support/service-process';

/**
 * Issue 18 (docker compose): a MongoDB still coming up when the service starts (a replica set
 * without its primary yet) no longer stops the service. It retries its first connection for
 * MONGODB_STARTUP_WAIT, logging each try, and gives up with the driver's error only after.
 */
let mongo: RestartableMongo;
let service: ServiceProcess | undefined;
beforeAll(async () => {
  mongo = await startRestartableMongo();
  await mongo.stop();
}, 60_000);
afterAll(async () => {
  if (service && service.child.exitCode === null) service.child.kill('SIGKILL');
  await mongo.close();
});

it('When MongoDB comes up after the service started, then the service connects once it does and serves', async () => {
  const starting = startServiceProcess({ API_KEYS: 'ws_a:sk_startup_wait_key', MONGODB_URI: mongo.uri, MONGODB_STARTUP_WAIT: '60s', MONGODB_TIMEOUT: '500ms' });
  // Let it fail at least once before the database appears.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  await mongo.start();
  service = await starting;
  expect(service.logs.some((line) => line.includes('MongoDB not reachable yet at start-up; retrying'))).toBe(true);
  const res = await fetch(`${service.url}/users/u/tokens`, { headers: { authorization: 'Bearer sk_startup_wait_key' } });
  expect(res.status).toBe(200);
}, 90_000);

it('When MongoDB never comes, then start-up gives up after MONGODB_STARTUP_WAIT and exits non-zero', async () => {
  await mongo.stop();
  await expect(startServiceProcess({ API_KEYS: 'ws_a:sk_startup_wait_key', MONGODB_URI: mongo.uri, MONGODB_STARTUP_WAIT: '2s', MONGODB_TIMEOUT: '300ms' })).rejects.toThrow(/service exited with 1/);
}, 60_000);
