import { EVICTED_FOR_BYTES, EVICTED_FOR_COUNT, planUserBudget, type BudgetToken } from '../../src/tokens/user-budget-plan';

/** The per-user bounds as a table: which tokens are retired, which deleted, and which never. */
const limits = { maxTokens: 3, maxBytes: 1000 };
const NOW = 10_000;
const active = (id: string, updatedAt: number, bytes = 100): BudgetToken => ({ id, active: true, updatedAt, bytes });
const retired = (id: string, updatedAt: number, bytes = 100): BudgetToken => ({ id, active: false, updatedAt, bytes });

it.each<[string, BudgetToken[], string[], { revoke: { id: string; reason: string }[]; remove: string[] }]>([
  ['within both bounds: nothing', [active('a', 1), active('b', 2), active('c', 3)], ['c'], { revoke: [], remove: [] }],
  ['one over the count: the least recently updated is revoked', [active('a', 1), active('b', 2), active('c', 3), active('d', 4)], ['d'], { revoke: [{ id: 'a', reason: EVICTED_FOR_COUNT }], remove: [] }],
  ['the token just written is never retired, even if it is the oldest', [active('a', 1), active('b', 2), active('c', 3), active('d', 4)], ['a'], { revoke: [{ id: 'b', reason: EVICTED_FOR_COUNT }], remove: [] }],
  ['a bulk write keeps all its tokens', [active('a', 1), active('b', 2), active('c', 3), active('d', 4), active('e', 5)], ['c', 'd', 'e'], { revoke: [{ id: 'a', reason: EVICTED_FOR_COUNT }, { id: 'b', reason: EVICTED_FOR_COUNT }], remove: [] }],
  ['over the bytes: oldest revoked until under', [active('a', 1, 600), active('b', 2, 300), active('c', 3, 300)], ['c'], { revoke: [{ id: 'a', reason: EVICTED_FOR_BYTES }], remove: [] }],
  ['count first, then bytes', [active('a', 1), active('b', 2, 900), active('c', 3, 100), active('d', 4, 100)], ['d'], { revoke: [{ id: 'a', reason: EVICTED_FOR_COUNT }, { id: 'b', reason: EVICTED_FOR_BYTES }], remove: [] }],
  ['retired tokens do not count against the active bound', [retired('x', 0), retired('y', 0), active('a', 1), active('b', 2), active('c', 3)], ['c'], { revoke: [], remove: [] }],
  ['retired over the count: the oldest retired are deleted', [retired('x', 1), retired('y', 2), retired('z', 3), retired('w', 4), active('a', 5)], ['a'], { revoke: [], remove: ['x'] }],
  ['retired over the bytes: the oldest retired are deleted', [retired('x', 1, 700), retired('y', 2, 700), active('a', 5)], ['a'], { revoke: [], remove: ['x'] }],
  ['a token revoked now is the newest retired: older retired ones go first', [retired('x', 1), retired('y', 2), retired('z', 3), active('a', 4), active('b', 5), active('c', 6), active('d', 7)], ['d'], { revoke: [{ id: 'a', reason: EVICTED_FOR_COUNT }], remove: ['x'] }],
  ['a new token alone over the bytes stays, and nothing else can be freed', [active('a', 1, 2000)], ['a'], { revoke: [], remove: [] }],
])('%s', (_name, tokens, keep, expected) => {
  expect(planUserBudget(tokens, new Set(keep), limits, NOW)).toEqual(expected);
});

it('never retires or deletes a kept token, and always ends within the bounds when the kept ones fit', () => {
  for (let n = 0; n < 200; n++) {
    const tokens = Array.from({ length: 1 + (n % 12) }, (_, i) => ({ id: `t${i}`, active: (i * 7 + n) % 3 !== 0, updatedAt: (i * 13 + n) % 17, bytes: 50 + ((i * 31 + n) % 200) }));
    const keep = new Set([tokens[tokens.length - 1]!.id]);
    const plan = planUserBudget(tokens, keep, limits, NOW);
    const touched = [...plan.revoke.map((r) => r.id), ...plan.remove];
    expect(touched.filter((id) => keep.has(id))).toEqual([]);
    const revoked = new Set(plan.revoke.map((r) => r.id));
    const left = tokens.filter((t) => !plan.remove.includes(t.id));
    const stillActive = left.filter((t) => t.active && !revoked.has(t.id));
    expect(stillActive.length).toBeLessThanOrEqual(limits.maxTokens);
    expect(stillActive.reduce((s, t) => s + t.bytes, 0)).toBeLessThanOrEqual(limits.maxBytes);
    const nowRetired = left.filter((t) => !t.active || revoked.has(t.id));
    expect(nowRetired.length).toBeLessThanOrEqual(limits.maxTokens);
  }
});
