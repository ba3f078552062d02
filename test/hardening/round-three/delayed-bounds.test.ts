import request from 'supertest';
import { bearer, createTestApp, KEY_A, KEY_B, type TestApp } from '../../support/test-app';

/**
 * Round three, finding 3: delayed sends had no bound, and each recipient's row held its own
 * copy of the notification (200 requests of 100 recipients made 20,101 rows, 76 MB, from
 * 1.1 MB of requests). The notification is now stored once per request, and a workspace's
 * pending delayed messages are bounded by MAX_PENDING_DELAYED: past it, a 429 naming it.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ messages: { maxPendingDelayed: 150 } });
});
afterAll(async () => {
  await t.close();
});
const send = (key: string, users: number, prefix: string) =>
  request(t.app)
    .post('/send')
    .set(bearer(key))
    .send({ message: { to: Array.from({ length: users }, (_, i) => ({ user_id: `${prefix}-${i}` })), content: { title: 'Later', body: 'x'.repeat(500) }, data: { blob: 'y'.repeat(2_000) }, delay: { duration: 7 * 86_400_000 } } });

it('a request of 100 recipients stores its notification once, not 100 times', async () => {
  const { requestId } = (await send(KEY_A, 100, 'once').expect(202)).body;
  const rows = await t.database.db.collection('scheduled_sends').find({ request_id: requestId }).toArray();
  expect(rows).toHaveLength(100);
  expect(rows.every((row) => row.notification === undefined)).toBe(true);
  const requests = await t.database.db.collection('scheduled_requests').find({ _id: requestId as never }).toArray();
  expect(requests).toHaveLength(1);
  expect(requests[0]!.notification.data.blob).toHaveLength(2_000);
  // Each row is a few hundred bytes; before, each carried the 2.5 KB notification.
  expect(Math.max(...rows.map((row) => JSON.stringify(row).length))).toBeLessThan(400);
});

it('past MAX_PENDING_DELAYED a request is a 429 naming it, and nothing of it is written; other workspaces are not counted', async () => {
  const before = await t.database.db.collection('scheduled_sends').countDocuments();
  const refused = await send(KEY_A, 51, 'over').expect(429);
  expect(refused.body.message).toContain('MAX_PENDING_DELAYED');
  expect(await t.database.db.collection('scheduled_sends').countDocuments()).toBe(before);
  expect(await t.database.db.collection('messages').countDocuments({ recipient: 'over-0' })).toBe(0);
  await send(KEY_B, 100, 'other-workspace').expect(202);
  await send(KEY_A, 50, 'exactly').expect(202);
  await send(KEY_A, 1, 'one-more').expect(429);
});

it('a canceled delayed message makes room again', async () => {
  const listed = (await request(t.app).get('/messages?recipient=exactly-0').set(bearer(KEY_A)).expect(200)).body.results as { id: string }[];
  await request(t.app).post(`/messages/${listed[0]!.id}/cancel`).set(bearer(KEY_A)).expect(200);
  await send(KEY_A, 1, 'after-cancel').expect(202);
});
