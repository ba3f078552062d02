import fc from 'fast-check';
import request from 'supertest';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

/**
 * Issue 13, finding 5: the Devices API moved a token to another person with the previous
 * owner's properties (an email, say), device ids and tracking. Property: after a transfer
 * through either API, the token reads exactly as if the new owner had registered it fresh,
 * with the same request: nothing of the previous owner remains.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const text = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const courierBody = fc.record(
  {
    provider_key: fc.constantFrom('apn', 'firebase-fcm'),
    properties: fc.dictionary(fc.constantFrom('email', 'name', 'plan'), text, { maxKeys: 3 }),
    device: fc.record({ app_id: text, device_id: text, ad_id: text, platform: fc.constantFrom('ios', 'android'), model: text, name: text }, { requiredKeys: [] }),
    tracking: fc.record({ os_version: text, ip: text, lat: text, long: text }, { requiredKeys: [] }),
  },
  { requiredKeys: ['provider_key'] },
);
const deviceBody = fc.record(
  { platform: fc.constantFrom('ios', 'android', 'web'), device_name: text, device_model: text, os_version: text, app_version: text },
  { requiredKeys: ['platform'] },
);
const registration = fc.oneof(
  courierBody.map((body) => ({ api: 'courier' as const, body })),
  deviceBody.map((body) => ({ api: 'devices' as const, body })),
);

async function register(user: string, token: string, how: { api: 'courier' | 'devices'; body: Record<string, unknown> }) {
  if (how.api === 'courier') {
    await request(t.app).put(`/users/${user}/tokens/${token}`).set(bearer(KEY_A)).send(how.body).expect(204);
  } else {
    const res = await request(t.app).post(`/api/v1/people/${user}/devices`).set(bearer(KEY_A)).send({ ...how.body, token });
    expect([200, 201]).toContain(res.status);
  }
}

/** Everything a reader sees of a token, less what differs between any two registrations. */
async function read(user: string, token: string) {
  const res = await request(t.app).get(`/users/${user}/tokens/${token}`).set(bearer(KEY_A)).expect(200);
  const { token: _token, created_at, updated_at: _updated, expiry_date: _expiry, ...rest } = res.body;
  return { rest, created_at: Date.parse(created_at) };
}

let round = 0;
it('After a transfer through either API, the token reads as a fresh registration by its new owner', async () => {
  await fc.assert(
    fc.asyncProperty(registration, fc.boolean(), registration, async (previous, wasSent, transfer) => {
      const moved = `moved-${round}`;
      const fresh = `fresh-${round++}`;
      await register('previous-owner', moved, previous);
      // The previous owner's history: a send happened and a provider reported it dead.
      if (wasSent) {
        await t.model.updateOne({ token: moved }, { $set: { last_used_at: new Date(), status: 'failed', status_reason: 'apns:Unregistered', created_at: new Date('2020-01-01') } });
      }
      const started = Date.now();
      await register('new-owner', moved, transfer);
      // The comparison goes to a person of its own, so that Flameup's device dedupe (same
      // person, platform, model and name) does not retire one of the two.
      await register('fresh-owner', fresh, transfer);
      const movedView = await read('new-owner', moved);
      const freshView = await read('fresh-owner', fresh);
      // provider_key is the token's own (an FCM token stays one), not the previous owner's data.
      expect({ ...movedView.rest, provider_key: null, user_id: null }).toEqual({ ...freshView.rest, provider_key: null, user_id: null });
      expect(movedView.rest.user_id).toBe('new-owner');
      expect(movedView.created_at).toBeGreaterThanOrEqual(started - 1000);
      await request(t.app).get(`/users/previous-owner/tokens/${moved}`).set(bearer(KEY_A)).expect(404);
    }),
    { numRuns: 150 },
  );
}, 120_000);
