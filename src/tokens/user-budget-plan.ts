/**
 * How many tokens, and how many bytes of them, one user may keep: MAX_TOKENS_PER_USER and
 * MAX_BYTES_PER_USER. Both bound two sets separately:
 *
 * - **Active tokens** (what a send fans out to, and what its answer lists): over either bound,
 *   the least recently updated active tokens are retired as `revoked`, with the reason naming
 *   the bound. The tokens just written are never retired, so a new device always works.
 * - **Retired tokens** (failed, revoked, unknown or expired; kept for history): over either
 *   bound, the least recently updated are deleted. So a user's stored tokens never exceed
 *   twice each bound, however many are registered.
 *
 * Pure, so that each rule is a row of a table test (test/tokens/user-budget-plan.test.ts).
 */
export type BudgetLimits = { maxTokens: number; maxBytes: number };
export type BudgetToken = { id: string; active: boolean; updatedAt: number; bytes: number };
export type BudgetPlan = { revoke: { id: string; reason: string }[]; remove: string[] };

export const EVICTED_FOR_COUNT = 'evicted: over MAX_TOKENS_PER_USER';
export const EVICTED_FOR_BYTES = 'evicted: over MAX_BYTES_PER_USER';

const oldestFirst = (a: BudgetToken, b: BudgetToken) => a.updatedAt - b.updatedAt || (a.id < b.id ? -1 : 1);
const sum = (tokens: readonly BudgetToken[]) => tokens.reduce((total, t) => total + t.bytes, 0);

export function planUserBudget(tokens: readonly BudgetToken[], keep: ReadonlySet<string>, limits: BudgetLimits, now: number): BudgetPlan {
  const revoke: BudgetPlan['revoke'] = [];
  const active = tokens.filter((t) => t.active);
  let activeCount = active.length;
  let activeBytes = sum(active);
  for (const token of active.filter((t) => !keep.has(t.id)).sort(oldestFirst)) {
    const reason = activeCount > limits.maxTokens ? EVICTED_FOR_COUNT : activeBytes > limits.maxBytes ? EVICTED_FOR_BYTES : undefined;
    if (!reason) break;
    revoke.push({ id: token.id, reason });
    activeCount--;
    activeBytes -= token.bytes;
  }

  // Tokens retired just now join the retired ones as the most recently updated.
  const revoked = new Set(revoke.map((r) => r.id));
  const retired = [
    ...tokens.filter((t) => !t.active),
    ...active.filter((t) => revoked.has(t.id)).map((t) => ({ ...t, updatedAt: now })),
  ];
  const remove: string[] = [];
  let retiredCount = retired.length;
  let retiredBytes = sum(retired);
  for (const token of retired.filter((t) => !keep.has(t.id)).sort(oldestFirst)) {
    if (retiredCount <= limits.maxTokens && retiredBytes <= limits.maxBytes) break;
    remove.push(token.id);
    retiredCount--;
    retiredBytes -= token.bytes;
  }
  // A token retired and deleted in one pass (only when far over the bounds) is just deleted.
  const removed = new Set(remove);
  return { revoke: revoke.filter((r) => !removed.has(r.id)), remove };
}
