import request from 'supertest';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

const p = (token: string) => `/users/pat/tokens/${encodeURIComponent(token)}`;
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

async function fresh(token: string) {
  await request(t.app)
    .put(p(token))
    .set(bearer(KEY_A))
    .send({ provider_key: 'apn', properties: { tier: 'gold', tags: ['a'] }, device: { model: 'iPhone 13' }, expiry_date: '2030-01-01T00:00:00.000Z' })
    .expect(204);
  return (await request(t.app).get(p(token)).set(bearer(KEY_A)).expect(200)).body;
}
const patch = (token: string, ops: unknown) => request(t.app).patch(p(token)).set(bearer(KEY_A)).send({ patch: ops });

describe('PATCH /users/:user_id/tokens/:token', () => {
  it('When Courier’s revoke example is sent, then status changes and it answers 204', async () => {
    const before = await fresh('revoke');
    await patch('revoke', [{ op: 'replace', path: '/status', value: 'revoked' }, { op: 'add', path: '/status_reason', value: 'user logged out' }]).expect(204);
    const after = (await request(t.app).get(p('revoke')).set(bearer(KEY_A)).expect(200)).body;
    expect(after).toMatchObject({ status: 'revoked', status_reason: 'user logged out', properties: before.properties });
    expect(Date.parse(after.updated_at)).toBeGreaterThanOrEqual(Date.parse(before.updated_at));
  });

  it('When properties, device, tracking and expiry_date are patched, then each change lands', async () => {
    await fresh('edit');
    await patch('edit', [
      { op: 'add', path: '/properties/tags/-', value: 'b' },
      { op: 'remove', path: '/properties/tier' },
      { op: 'replace', path: '/device', value: { model: 'Pixel 8', platform: 'android' } },
      { op: 'add', path: '/tracking', value: { os_version: '14' } },
      { op: 'replace', path: '/expiry_date', value: false },
    ]).expect(204);
    const after = (await request(t.app).get(p('edit')).set(bearer(KEY_A)).expect(200)).body;
    expect(after).toMatchObject({
      properties: { tags: ['a', 'b'] },
      device: { model: 'Pixel 8', platform: 'android' },
      tracking: { os_version: '14' },
      expiry_date: false,
    });
    const raw = await t.model.collection.findOne({ token: 'edit' });
    expect(raw).not.toHaveProperty('expiry_date');
  });

  it('When a patch touches token, user_id, provider_key or created_at, then it is a 400 and nothing changes', async () => {
    const before = await fresh('immutable');
    for (const field of ['token', 'user_id', 'provider_key', 'created_at', 'updated_at', 'last_used_at']) {
      const res = await patch('immutable', [{ op: 'replace', path: '/status', value: 'revoked' }, { op: 'replace', path: `/${field}`, value: 'x' }]).expect(400);
      expect(res.body.errors[0].path).toBe('patch[1].path');
    }
    const moved = await patch('immutable', [{ op: 'move', from: '/token', path: '/status_reason' }]).expect(400);
    expect(moved.body.errors[0].path).toBe('patch[0].from');
    const after = (await request(t.app).get(p('immutable')).set(bearer(KEY_A)).expect(200)).body;
    expect(after).toEqual(before);
  });

  it('When the result fails the schema, then it is a 400 naming the field and nothing changes', async () => {
    const before = await fresh('schema');
    const cases: [unknown[], string][] = [
      [[{ op: 'replace', path: '/status', value: 'zombie' }], 'status'],
      [[{ op: 'add', path: '/colour', value: 'red' }], 'colour'],
      [[{ op: 'add', path: '/device/colour', value: 'red' }], 'device.colour'],
      [[{ op: 'add', path: '/properties/$where', value: '1' }], 'properties.$where'],
      [[{ op: 'replace', path: '/expiry_date', value: '2001-01-01T00:00:00Z' }], 'expiry_date'],
      [[{ op: 'remove', path: '/status' }], 'status'],
    ];
    for (const [ops, field] of cases) {
      const res = await patch('schema', ops).expect(400);
      expect(res.body.type).toBe('invalid_request_error');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    }
    expect((await request(t.app).get(p('schema')).set(bearer(KEY_A))).body).toEqual(before);
  });

  it('When a test operation fails, then it is a 409 and nothing changes', async () => {
    const before = await fresh('test-op');
    await patch('test-op', [{ op: 'test', path: '/status', value: 'revoked' }, { op: 'replace', path: '/status', value: 'failed' }]).expect(409);
    expect((await request(t.app).get(p('test-op')).set(bearer(KEY_A))).body).toEqual(before);
    await patch('test-op', [{ op: 'test', path: '/status', value: 'active' }, { op: 'replace', path: '/status', value: 'failed' }]).expect(204);
  });

  it('When the operations are malformed, then it is a 400 naming them', async () => {
    await fresh('malformed');
    const cases: [unknown, string][] = [
      [{ patch: [] }, 'patch'],
      [{ patch: [{ op: 'frobnicate', path: '/status' }] }, 'patch[0]'],
      [{ patch: [{ op: 'replace', path: '/status' }] }, 'patch[0]'],
      [{ patch: [{ op: 'replace', path: 'status', value: 'failed' }] }, 'patch[0].path'],
      [{ patch: [{ op: 'remove', path: '/properties/missing' }] }, 'patch[0].path'],
      [{ ops: [] }, 'ops'],
    ];
    for (const [body, field] of cases) {
      const res = await request(t.app).patch(p('malformed')).set(bearer(KEY_A)).send(body as object).expect(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    }
  });

  it('When the token does not exist, then it is a 404', async () => {
    await patch('missing', [{ op: 'replace', path: '/status', value: 'revoked' }]).expect(404);
  });

  it('When 20 patches race on one token, then every patch that answered 204 is in the result (none is lost)', async () => {
    await fresh('race');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => patch('race', [{ op: 'add', path: `/properties/k${i}`, value: i }])),
    );
    expect(responses.every((r) => r.status === 204 || r.status === 409)).toBe(true);
    const landed = responses.filter((r) => r.status === 204).length;
    const after = (await request(t.app).get(p('race')).set(bearer(KEY_A))).body;
    expect(Object.keys(after.properties).filter((k) => k.startsWith('k'))).toHaveLength(landed);
    expect(landed).toBeGreaterThan(0);
  });
});
