import fc from 'fast-check';
import request from 'supertest';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

/**
 * The per-user counts (user_token_counts) are upper bounds of what a user has stored, corrected
 * down only by compare-and-set (issue 28). Before, two budgets correcting at once each
 * subtracted the same overestimate: the review's steps drove the count to −142 with 12 tokens
 * stored, and the cap of 20 then let 72 tokens stay active.
 */
const CAP = 20;
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ userLimits: { maxTokens: CAP, maxBytes: 1024 * 1024 } });
});
afterAll(async () => {
  await t.close();
});

const put = (user: string, token: string) => request(t.app).put(`/users/${user}/tokens/${token}`).set(bearer(KEY_A)).send({ provider_key: 'firebase-fcm' });
const del = (user: string, token: string) => request(t.app).delete(`/users/${user}/tokens/${token}`).set(bearer(KEY_A));
const counted = async (user: string) => (await t.database.db.collection('user_token_counts').findOne({ workspace_id: 'ws_a', user_id: user }))?.tokens ?? 0;
const stored = (user: string) => t.model.countDocuments({ workspace_id: 'ws_a', user_id: user });
const active = (user: string) => t.model.countDocuments({ workspace_id: 'ws_a', user_id: user, status: 'active' });

it("the review's steps: 20 registered, deleted, 12 concurrent PUTs; the count never falls below what is stored, and the cap holds after", async () => {
  const user = 'review-steps';
  for (let i = 0; i < CAP; i++) await put(user, `first-${i}`).expect(204);
  for (let i = 0; i < CAP; i++) await del(user, `first-${i}`).expect(204);
  await Promise.all(Array.from({ length: 12 }, (_, i) => put(user, `race-${i}`).expect(204)));
  expect(await counted(user)).toBeGreaterThanOrEqual(await stored(user));
  for (let i = 0; i < 60; i++) await put(user, `after-${i}`).expect(204);
  expect(await active(user)).toBe(CAP);
  expect(await counted(user)).toBeGreaterThanOrEqual(await stored(user));
}, 60_000);

type Op = { kind: 'put' | 'delete' | 'transfer'; n: number };
const op: fc.Arbitrary<Op> = fc.record({ kind: fc.constantFrom('put', 'put', 'put', 'delete', 'transfer'), n: fc.integer({ min: 0, max: 30 }) });

it('registrations, deletions and transfers racing in any mix: afterwards the count is at least what is stored, and no user keeps more than the cap active', async () => {
  let round = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 24 }), { minLength: 2, maxLength: 5 }), async (waves) => {
      const user = `prop-${round}`;
      const other = `prop-${round}-other`;
      round++;
      // Churn first, as a real user's devices come and go: the count then overestimates, and the next registrations correct it.
      for (let i = 0; i < CAP; i++) await put(user, `${user}-old-${i}`).expect(204);
      for (let i = 0; i < CAP; i++) await del(user, `${user}-old-${i}`).expect(204);
      for (const wave of waves) {
        await Promise.all(
          wave.map(({ kind, n }) => {
            const token = `${user}-tok-${n}`;
            if (kind === 'put') return put(user, token);
            if (kind === 'delete') return del(user, token);
            return put(other, token);
          }),
        );
      }
      for (const u of [user, other]) {
        expect(await counted(u)).toBeGreaterThanOrEqual(await stored(u));
        // One more registration after the race: the cap holds for the user whatever the race left.
        await put(u, `${u}-settle`).expect(204);
        expect(await active(u)).toBeLessThanOrEqual(CAP);
      }
    }),
    { numRuns: 10 },
  );
}, 120_000);

it('the Devices API registering the same device again adds only its growth to the counts, not its whole size each time', async () => {
  const register = (appVersion: string) => request(t.app).post('/api/v1/people/flame-bytes/devices').set(bearer(KEY_A)).send({ token: 'flame-bytes-device', platform: 'android', app_version: appVersion });
  await register('1.0.0').expect(201);
  const first = (await t.database.db.collection('user_token_counts').findOne({ workspace_id: 'ws_a', user_id: 'flame-bytes' }))!;
  for (let i = 0; i < 10; i++) await register('1.0.0').expect(200);
  const after = (await t.database.db.collection('user_token_counts').findOne({ workspace_id: 'ws_a', user_id: 'flame-bytes' }))!;
  expect(after.tokens).toBe(first.tokens);
  expect(after.bytes).toBe(first.bytes);
});
