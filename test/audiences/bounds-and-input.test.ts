import { apiClient } from '../support/api-client';
import { createTestApp, KEY_A, type TestApp } from '../support/test-app';

/**
 * Lists and audiences take only what they document (issue 30): each bound is a 409 or 429
 * naming its setting, with nothing written past it; bad input is a 400 naming the field.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ workspaceLimits: { lists: 3, listSubscribers: 5, audiences: 2 }, broadcast: { maxActive: 2 } });
});
afterAll(async () => {
  await t.close();
});
const api = () => apiClient(t.app, KEY_A);

it('MAX_LISTS: a fourth list is a 409 naming it, by PUT and by a first subscription', async () => {
  for (const id of ['a.one', 'a.two', 'a.three']) await api().put(`/lists/${id}`, { name: id }).expect(204);
  expect((await api().put('/lists/a.four', { name: 'four' }).expect(409)).body.message).toMatch(/MAX_LISTS/);
  expect((await api().put('/lists/a.four/subscriptions/u1', {}).expect(409)).body.message).toMatch(/MAX_LISTS/);
  await api().get('/lists/a.four').expect(404);
  // Renaming one that exists is not a new list.
  await api().put('/lists/a.one', { name: 'renamed' }).expect(204);
});

it('MAX_LIST_SUBSCRIBERS: a request that could pass it is a 409, and writes nothing', async () => {
  await api().post('/lists/a.one/subscriptions', { recipients: [1, 2, 3, 4].map((i) => ({ recipientId: `s${i}` })) }).expect(204);
  expect((await api().post('/lists/a.one/subscriptions', { recipients: [{ recipientId: 's5' }, { recipientId: 's6' }] }).expect(409)).body.message).toMatch(/MAX_LIST_SUBSCRIBERS/);
  expect((await api().get('/lists/a.one/subscriptions').expect(200)).body.items).toHaveLength(4);
  // Unsubscribing makes room again.
  await api().del('/lists/a.one/subscriptions/s1').expect(204);
  await api().post('/lists/a.one/subscriptions', { recipients: [{ recipientId: 's5' }, { recipientId: 's6' }] }).expect(204);
});

it('MAX_AUDIENCES: a third audience is a 409 naming it', async () => {
  await api().put('/audiences/one', { name: 'one' }).expect(200);
  await api().put('/audiences/two', { name: 'two' }).expect(200);
  expect((await api().put('/audiences/three', { name: 'three' }).expect(409)).body.message).toMatch(/MAX_AUDIENCES/);
  await api().put('/audiences/two', { name: 'still two' }).expect(200);
});

it('MAX_ACTIVE_BROADCASTS: a third running broadcast is a 429 naming it', async () => {
  // No worker runs here: both stay planned-but-unsent.
  await api().send({ to: { audience_id: 'one' }, content: { title: '1' } }).expect(202);
  await api().send({ to: { audience_id: 'one' }, content: { title: '2' } }).expect(202);
  expect((await api().send({ to: { audience_id: 'one' }, content: { title: '3' } }).expect(429)).body.message).toMatch(/MAX_ACTIVE_BROADCASTS/);
});

it.each([
  ['a list id with a space', () => api().put('/lists/bad%20id', { name: 'x' }), 'list_id'],
  ['a list id with an empty segment', () => api().put('/lists/a..b', { name: 'x' }), 'list_id'],
  ['a list name that is empty', () => api().put('/lists/ok.id', { name: '' }), 'name'],
  ['a pattern with a partial wildcard', () => api().get('/lists?pattern=a.b*'), 'pattern'],
  ['more than 1,000 recipients', () => api().post('/lists/ok.id/subscriptions', { recipients: Array.from({ length: 1_001 }, (_, i) => ({ recipientId: `r${i}` })) }), 'recipients'],
  ['a recipient without an id', () => api().post('/lists/ok.id/subscriptions', { recipients: [{}] }), 'recipients[0].recipientId'],
  ['preferences with a prototype key', () => api().post('/lists/ok.id/subscriptions', JSON.parse('{"recipients":[{"recipientId":"p","preferences":{"__proto__":{"x":1}}}]}')), 'recipients[0].preferences.__proto__'],
  ['an audience id with a slash-like character', () => api().put('/audiences/bad%24id', { name: 'x' }), 'audience_id'],
  ['an audience filter on an unknown path', () => api().put('/audiences/f', { filter: { filters: [{ operator: 'EQ', path: 'device.colour', value: 'red' }] } }), 'filter.filters.0.path'],
  ['an audience filter with an unknown operator', () => api().put('/audiences/f', { filter: { filters: [{ operator: 'LIKE', path: 'provider_key', value: 'apn' }] } }), 'filter.filters.0.operator'],
  ['an audience operator other than AND or OR', () => api().put('/audiences/f', { operator: 'XOR' }), 'operator'],
  ['a list among other recipients', () => api().send({ to: [{ user_id: 'u' }, { list_id: 'a.one' }], content: { title: 'x' } }), 'message.to'],
  ['a list id that is not one, to send to', () => api().send({ to: { list_id: 'bad id' }, content: { title: 'x' } }), 'message.to.list_id'],
  ['two targets in one', () => api().send({ to: { list_id: 'a.one', audience_id: 'one' }, content: { title: 'x' } }), 'message.to'],
  ['a failures cursor that is not one', () => api().get('/messages/x/failures?cursor=%%%'), 'cursor'],
])('%s is a 400 naming %s', async (_name, call, path) => {
  const res = await call();
  expect(res.status).toBe(400);
  expect(res.body.errors.map((e: { path: string }) => e.path)).toContainEqual(expect.stringContaining(path));
});

it('a failed audience write changes nothing', async () => {
  await api().put('/audiences/one', { filter: { filters: [{ operator: 'EQ', path: 'provider_key', value: 'apn' }] } }).expect(200);
  await api().put('/audiences/one', { name: 'renamed', filter: { filters: [{ operator: 'EQ', path: 'nope', value: 'x' }] } }).expect(400);
  expect((await api().get('/audiences/one').expect(200)).body).toMatchObject({ name: 'one', filter: { filters: [{ operator: 'EQ', path: 'provider_key', value: 'apn' }] } });
});
