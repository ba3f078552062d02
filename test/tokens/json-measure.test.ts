import { measureJson } from '../../src/tokens/json-measure';

describe('measureJson', () => {
  it.each([
    ['a string', 'abc'],
    ['unicode', 'zürich ✓ 😀'],
    ['a number', -12.5],
    ['true', true],
    ['false', false],
    ['null', null],
    ['an empty object', {}],
    ['an empty array', []],
    ['a nested value', { a: [1, 'two', { b: null, c: [true, false] }], 'ü': { d: {} } }],
  ])('counts the UTF-8 bytes of compact JSON exactly for %s', (_name, value) => {
    const measured = measureJson(value);
    expect(measured.bytes).toBe(Buffer.byteLength(JSON.stringify(value)));
    expect(measured.exceeded).toBeUndefined();
  });

  it.each([
    [1, 0],
    [{}, 1],
    [{ a: [] }, 2],
    [{ a: [{ b: 1 }] }, 3],
  ])('the depth of %j is %i', (value, depth) => {
    expect(measureJson(value).depth).toBe(depth);
  });

  it('stops at the byte limit without walking the rest', () => {
    const big = { b: Array.from({ length: 100_000 }, () => 'y'), a: 'x'.repeat(1000) };
    const measured = measureJson(big, { maxBytes: 500, maxDepth: 10 });
    expect(measured.exceeded).toBe('bytes');
    // The string came first off the stack (last pushed), then the array's punctuation alone passed the limit.
    expect(measured.bytes).toBeLessThan(2 * 100_000);
  });

  it('measures a 100,000-deep value without overflowing the stack, and stops at the depth limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(measureJson(deep).depth).toBe(100_000);
    expect(measureJson(deep, { maxBytes: Infinity, maxDepth: 21 })).toMatchObject({ exceeded: 'depth', depth: 22 });
  });
});
