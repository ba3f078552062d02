import { retryDelayMs } from '../../src/sender/retry-policy';

const config = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000 };

describe('retryDelayMs (exponential back-off, full jitter)', () => {
  it.each([
    [1, 1, undefined, 99],
    [2, 1, undefined, 199],
    [3, 1, undefined, 399],
    [5, 1, undefined, 999],
    [9, 1, undefined, 999],
    [3, 0, undefined, 0],
    [1, 0, 500, 500],
    [1, 0, 60_000, 1000],
    [3, 0.999, 100, 399],
  ])('attempt %i, random %d, Retry-After %s → %i ms', (attempt, random, retryAfter, expected) => {
    expect(retryDelayMs(attempt, config, retryAfter, () => (random === 1 ? 0.999 : random))).toBe(expected);
  });
});
