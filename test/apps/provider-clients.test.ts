import { CredentialStore } from '../../src/apps/credential-store';
import { ProviderClients } from '../../src/apps/provider-clients';
import { SecretBox } from '../../src/apps/secret-box';
import { loadConfig } from '../../src/config';
import { makeApnsKey } from '../simulators/credentials';
import { openTestDatabase } from '../support/test-db';
import { TEST_API_KEYS } from '../support/test-app';

/** The cache of provider clients: reuse, a new identity, idle close, the bound, and leases. (No network: clients connect on first send.) */
let db: Awaited<ReturnType<typeof openTestDatabase>>;
let store: CredentialStore;
let clock = 0;
const delivery = (overrides: object) => ({ ...loadConfig({ API_KEYS: TEST_API_KEYS }).delivery, endpoints: { apns: new URL('https://127.0.0.1:1'), apnsSandbox: new URL('https://127.0.0.1:1'), fcm: undefined }, ...overrides });

beforeAll(async () => {
  db = await openTestDatabase();
  store = new CredentialStore(db.connection.db!, (SecretBox.parse(SecretBox.newKeyEntry('k')) as { box: SecretBox }).box);
  for (let i = 0; i < 4; i++) {
    const key = makeApnsKey(`KEY000000${i}`, 'TEAM000001', ['com.example']);
    await store.putCredential('ws', `c${i}`, { provider_key: 'apn', team_id: key.teamId, key_id: key.keyId, key: key.pem, environments: ['production', 'sandbox'] });
  }
});
afterAll(async () => {
  await db.close();
});

/** The identity a send would read for a credential now. */
const identity = async (id: string) => (await store.credentialsById('ws', [id])).get(id)!.identity;

it('reuses one client per credential and environment, and builds a new one when the credential is written again (closing the old once released)', async () => {
  const clients = new ProviderClients(store, delivery({}), { now: () => clock });
  const first = await identity('c0');
  const a = await clients.acquire('ws', 'c0', first, 'apn', 'production');
  const b = await clients.acquire('ws', 'c0', first, 'apn', 'production');
  expect(b.client).toBe(a.client);
  const sandbox = await clients.acquire('ws', 'c0', first, 'apn', 'sandbox');
  expect(sandbox.client).not.toBe(a.client);
  const key = makeApnsKey('KEY0000009', 'TEAM000001', ['com.example']);
  await store.putCredential('ws', 'c0', { provider_key: 'apn', team_id: key.teamId, key_id: key.keyId, key: key.pem, environments: ['production', 'sandbox'] });
  const newer = await clients.acquire('ws', 'c0', await identity('c0'), 'apn', 'production');
  expect(newer.client).not.toBe(a.client);
  expect(a.client.ready()).toBe(true); // still leased by two sends
  a.release();
  b.release();
  await new Promise((resolve) => setImmediate(resolve));
  expect(a.client.ready()).toBe(false);
  expect(clients.counts().apn).toBe(2);
  newer.release();
  sandbox.release();
  await clients.close();
});

it('closes clients idle for longer than clientIdleMs, never one that is leased', async () => {
  clock = 0;
  const clients = new ProviderClients(store, delivery({ clientIdleMs: 1_000 }), { now: () => clock });
  const idle = await clients.acquire('ws', 'c1', await identity('c1'), 'apn', 'production');
  idle.release();
  const busy = await clients.acquire('ws', 'c2', await identity('c2'), 'apn', 'production');
  clock = 5_000;
  clients.closeIdle();
  await new Promise((resolve) => setImmediate(resolve));
  expect(idle.client.ready()).toBe(false);
  expect(busy.client.ready()).toBe(true);
  expect(clients.counts().apn).toBe(1);
  busy.release();
  await clients.close();
});

it('refuses to build a client from a credential whose identity is no longer the one the send read', async () => {
  const clients = new ProviderClients(store, delivery({}), { now: () => clock });
  await expect(clients.acquire('ws', 'c3', 'an-identity-the-store-never-had', 'apn', 'production')).rejects.toThrow(/changed while the send was being planned/);
  await clients.close();
});

it('keeps at most maxClients, closing the least recently used idle ones first', async () => {
  clock = 0;
  const clients = new ProviderClients(store, delivery({ maxClients: 2 }), { now: () => clock });
  const leases = [];
  for (let i = 0; i < 3; i++) {
    clock += 10;
    const lease = await clients.acquire('ws', `c${i}`, await identity(`c${i}`), 'apn', 'production');
    lease.release();
    leases.push(lease);
  }
  await new Promise((resolve) => setImmediate(resolve));
  expect(clients.counts().apn).toBe(2);
  expect(leases.map((l) => l.client.ready())).toEqual([false, true, true]);
  await clients.close();
  expect(clients.counts().apn).toBe(0);
});
