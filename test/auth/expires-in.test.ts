import { parseExpiresIn } from '../../src/auth/expires-in';

describe('parseExpiresIn (Courier/ms formats)', () => {
  it.each([
    ['2 hours', 7_200],
    ['1d', 86_400],
    ['3 days', 259_200],
    ['10h', 36_000],
    ['2.5 hrs', 9_000],
    ['1m', 60],
    ['5s', 5],
    ['1y', 31_557_600],
    ['1 week', 604_800],
    ['90 MINUTES', 5_400],
    ['3600', 3_600],
    [3600, 3_600],
    [' 15 min ', 900],
  ])('%j is %i seconds', (text, seconds) => {
    expect(parseExpiresIn(text)).toBe(seconds);
  });

  it.each(['', 'soon', '1 fortnight', '-5s', '0', 0, -1, '1e3', '10 h s', null, true, {}, 'x'.repeat(40), '500ms'])('%j is refused', (value) => {
    expect(parseExpiresIn(value)).toBeUndefined();
  });
});
