import { addDuration, durationToMs, parseDuration } from '../src/duration';

describe('durations', () => {
  it.each([
    ['60d', { amount: 60, unit: 'd' }],
    ['2mo', { amount: 2, unit: 'mo' }],
    ['500ms', { amount: 500, unit: 'ms' }],
    [' 10 s ', { amount: 10, unit: 's' }],
    ['1y', { amount: 1, unit: 'y' }],
  ])('parses %j', (text, expected) => {
    expect(parseDuration(text)).toEqual(expected);
  });

  it.each(['', '10', 'd', '-1d', '1.5h', '2 months', '1x'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    ['2024-01-15T10:00:00.000Z', '2mo', '2024-03-15T10:00:00.000Z'],
    ['2023-12-31T00:00:00.000Z', '2mo', '2024-02-29T00:00:00.000Z'],
    ['2024-01-31T00:00:00.000Z', '1mo', '2024-02-29T00:00:00.000Z'],
    ['2024-02-29T00:00:00.000Z', '1y', '2025-02-28T00:00:00.000Z'],
    ['2024-01-01T00:00:00.000Z', '36h', '2024-01-02T12:00:00.000Z'],
  ])('%s + %s = %s', (from, duration, expected) => {
    expect(addDuration(new Date(from), parseDuration(duration)!).toISOString()).toBe(expected);
  });

  it('converts fixed units to milliseconds', () => {
    expect(durationToMs(parseDuration('2s')!)).toBe(2000);
    expect(durationToMs(parseDuration('1w')!)).toBe(604_800_000);
  });
});
