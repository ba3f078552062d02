import request from 'supertest';
import { bearer, createTestApp, KEY_A, type TestApp } from '../../support/test-app';

/**
 * Round three, finding 4: nothing bounded a workspace's webhook endpoints, credentials or apps,
 * and their lists were not paged (200 message.updated endpoints made one send to 50 users queue
 * 10,008 deliveries). Each now has a documented bound (MAX_WEBHOOK_ENDPOINTS, MAX_CREDENTIALS,
 * MAX_APPS), past which a create is a 409 naming it, and each list pages by cursor.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ workspaceLimits: { webhookEndpoints: 3, credentials: 3, apps: 3 }, webhooks: { allowHttp: true, allowPrivate: true } });
});
afterAll(async () => {
  await t.close();
});
const api = {
  get: (path: string) => request(t.app).get(path).set(bearer(KEY_A)),
  put: (path: string, body: object) => request(t.app).put(path).set(bearer(KEY_A)).send(body),
  post: (path: string, body: object) => request(t.app).post(path).set(bearer(KEY_A)).send(body),
  del: (path: string) => request(t.app).delete(path).set(bearer(KEY_A)),
  patch: (path: string, body: object) => request(t.app).patch(path).set(bearer(KEY_A)).send(body),
};
const expo = (n: number) => ({ provider_key: 'expo', access_token: `expo-access-token-${n}` });

type Kind = { name: string; setting: string; create: (n: number) => Promise<request.Response>; replace: (n: number, created: request.Response) => Promise<request.Response>; remove: (n: number, created: request.Response) => Promise<request.Response>; list: string; key: string; idOf: (item: Record<string, string>) => string };
const kinds: Kind[] = [
  {
    name: 'webhook endpoints', setting: 'MAX_WEBHOOK_ENDPOINTS', list: '/webhooks', key: 'webhooks', idOf: (w) => w.id!,
    create: (n) => api.post('/webhooks', { url: `http://127.0.0.1:9/hook-${n}`, events: ['webhook.test'] }),
    replace: (_n, created) => api.patch(`/webhooks/${created.body.id}`, { description: 'renamed' }),
    remove: (_n, created) => api.del(`/webhooks/${created.body.id}`),
  },
  {
    name: 'credentials', setting: 'MAX_CREDENTIALS', list: '/credentials', key: 'credentials', idOf: (c) => c.credential_id!,
    create: (n) => api.put(`/credentials/expo-${n}`, expo(n)),
    replace: (n) => api.put(`/credentials/expo-${n}`, expo(n + 100)),
    remove: (n) => api.del(`/credentials/expo-${n}`),
  },
  {
    name: 'apps', setting: 'MAX_APPS', list: '/apps', key: 'apps', idOf: (a) => a.app_id!,
    create: (n) => api.put(`/apps/com.example.app${n}`, {}),
    replace: (n) => api.put(`/apps/com.example.app${n}`, {}),
    remove: (n) => api.del(`/apps/com.example.app${n}`),
  },
];

describe.each(kinds)('$name', (kind) => {
  it('a workspace keeps at most its bound: one more is a 409 naming the setting, nothing is written, and room comes back with a delete', async () => {
    const created: request.Response[] = [];
    for (let n = 0; n < 3; n++) created.push(await kind.create(n));
    expect(created.map((r) => r.status)).toEqual([201, 201, 201]);
    const refused = await kind.create(3);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(kind.setting);
    expect((await api.get(kind.list).expect(200)).body[kind.key]).toHaveLength(3);
    // Replacing one that exists is not a new one.
    expect((await kind.replace(1, created[1]!)).status).toBe(200);
    expect((await kind.remove(0, created[0]!)).status).toBe(204);
    expect((await kind.create(3)).status).toBe(201);
  });

  it('its list pages by cursor, in id order, and a cursor not given by the service is a 400 naming it', async () => {
    const first = (await api.get(`${kind.list}?limit=2`).expect(200)).body;
    expect(first[kind.key]).toHaveLength(2);
    expect(first.paging.more).toBe(true);
    const second = (await api.get(`${kind.list}?limit=2&cursor=${first.paging.cursor}`).expect(200)).body;
    expect(second[kind.key]).toHaveLength(1);
    expect(second.paging).toEqual({ cursor: null, more: false });
    const ids = [...first[kind.key], ...second[kind.key]].map(kind.idOf);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(3);
    const bad = await api.get(`${kind.list}?cursor=not%20a%20cursor`).expect(400);
    expect(JSON.stringify(bad.body)).toContain('cursor');
  });
});
