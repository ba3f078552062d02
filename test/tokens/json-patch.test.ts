import fc from 'fast-check';
import { measureJson } from '../../src/tokens/json-measure';
import { applyPatch, PatchError, parsePointer, type PatchOperation } from '../../src/tokens/json-patch';

const doc = () => ({ a: 1, b: { c: [1, 2, 3], 'x/y': 'slash', 'm~n': 'tilde' }, s: 'text' });

describe('applyPatch (RFC 6902)', () => {
  const ok: [string, PatchOperation[], unknown][] = [
    ['add a new key', [{ op: 'add', path: '/d', value: 4 }], { ...doc(), d: 4 }],
    ['add replaces an existing key', [{ op: 'add', path: '/a', value: 9 }], { ...doc(), a: 9 }],
    ['add inserts into an array', [{ op: 'add', path: '/b/c/1', value: 9 }], { ...doc(), b: { ...doc().b, c: [1, 9, 2, 3] } }],
    ['add appends with -', [{ op: 'add', path: '/b/c/-', value: 4 }], { ...doc(), b: { ...doc().b, c: [1, 2, 3, 4] } }],
    ['add at the array end index', [{ op: 'add', path: '/b/c/3', value: 4 }], { ...doc(), b: { ...doc().b, c: [1, 2, 3, 4] } }],
    ['remove a key', [{ op: 'remove', path: '/a' }], { b: doc().b, s: 'text' }],
    ['remove an array item', [{ op: 'remove', path: '/b/c/0' }], { ...doc(), b: { ...doc().b, c: [2, 3] } }],
    ['replace a value', [{ op: 'replace', path: '/s', value: null }], { ...doc(), s: null }],
    ['replace an escaped key ~1', [{ op: 'replace', path: '/b/x~1y', value: 1 }], { ...doc(), b: { ...doc().b, 'x/y': 1 } }],
    ['replace an escaped key ~0', [{ op: 'replace', path: '/b/m~0n', value: 1 }], { ...doc(), b: { ...doc().b, 'm~n': 1 } }],
    ['move a value', [{ op: 'move', from: '/a', path: '/z' }], { b: doc().b, s: 'text', z: 1 }],
    ['move to itself is a no-op', [{ op: 'move', from: '/a', path: '/a' }], doc()],
    ['copy a value deeply', [{ op: 'copy', from: '/b/c', path: '/copy' }], { ...doc(), copy: [1, 2, 3] }],
    ['test equal deep value passes', [{ op: 'test', path: '/b/c', value: [1, 2, 3] }], doc()],
    ['operations apply in order', [{ op: 'add', path: '/n', value: {} }, { op: 'add', path: '/n/m', value: 1 }], { ...doc(), n: { m: 1 } }],
  ];
  it.each(ok)('%s', (_name, ops, expected) => {
    const input = doc();
    expect(applyPatch(input, ops)).toEqual(expected);
    expect(input).toEqual(doc()); // never mutates its input
  });

  const failures: [string, PatchOperation[], { index: number; field: string; testFailed: boolean }][] = [
    ['remove a missing key', [{ op: 'remove', path: '/nope' }], { index: 0, field: 'path', testFailed: false }],
    ['replace a missing key', [{ op: 'replace', path: '/nope', value: 1 }], { index: 0, field: 'path', testFailed: false }],
    ['add under a missing parent', [{ op: 'add', path: '/nope/x', value: 1 }], { index: 0, field: 'path', testFailed: false }],
    ['add past the array end', [{ op: 'add', path: '/b/c/5', value: 1 }], { index: 0, field: 'path', testFailed: false }],
    ['a leading-zero index', [{ op: 'remove', path: '/b/c/01' }], { index: 0, field: 'path', testFailed: false }],
    ['a pointer without a slash', [{ op: 'add', path: 'a', value: 1 }], { index: 0, field: 'path', testFailed: false }],
    ['a bad escape', [{ op: 'add', path: '/a~2', value: 1 }], { index: 0, field: 'path', testFailed: false }],
    ['move from a missing key', [{ op: 'add', path: '/x', value: 1 }, { op: 'move', from: '/nope', path: '/y' }], { index: 1, field: 'from', testFailed: false }],
    ['move into its own child', [{ op: 'move', from: '/b', path: '/b/inner' }], { index: 0, field: 'path', testFailed: false }],
    ['test of a different value', [{ op: 'test', path: '/a', value: 2 }], { index: 0, field: 'value', testFailed: true }],
    ['test of a missing path', [{ op: 'test', path: '/nope', value: 1 }], { index: 0, field: 'path', testFailed: true }],
    ['test of a type-different value', [{ op: 'test', path: '/a', value: '1' }], { index: 0, field: 'value', testFailed: true }],
    ['remove the whole document', [{ op: 'remove', path: '' }], { index: 0, field: 'path', testFailed: false }],
  ];
  it.each(failures)('fails: %s', (_name, ops, expected) => {
    try {
      applyPatch(doc(), ops);
      throw new Error('expected a PatchError');
    } catch (error) {
      expect(error).toBeInstanceOf(PatchError);
      expect({ index: (error as PatchError).index, field: (error as PatchError).field, testFailed: (error as PatchError).testFailed }).toEqual(expected);
    }
  });

  it('adds a __proto__ key as an own property without touching any prototype', () => {
    const result = applyPatch({} as Record<string, unknown>, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]);
    expect(Object.keys(result)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(result)).toBe(Object.getPrototypeOf(JSON.parse('{}')));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['', []],
    ['/a', ['a']],
    ['/a/0', ['a', '0']],
    ['/~01', ['~1']],
    ['/', ['']],
  ])('parsePointer(%j)', (pointer, segments) => {
    expect(parsePointer(pointer)).toEqual(segments);
  });
});

describe('applyPatch with size and depth limits', () => {
  const limits = { maxBytes: 2_000, maxDepth: 6 };
  const token = () => ({ status: 'active', properties: { name: 'x'.repeat(100) } });
  const doubling = Array.from({ length: 27 }, (_, i): PatchOperation => ({ op: 'copy', from: '/properties', path: `/properties/k${i}` }));

  const refusals: [string, () => unknown, PatchOperation[], { index: number; field: string; message: RegExp }][] = [
    ['27 doubling copies stop at the first that passes the size', token, doubling, { index: 4, field: 'from', message: /larger than 2000 bytes/ }],
    ['a large added value', token, [{ op: 'add', path: '/properties/big', value: 'y'.repeat(2_000) }], { index: 0, field: 'value', message: /larger than/ }],
    ['a large replaced value', token, [{ op: 'replace', path: '/properties/name', value: 'y'.repeat(2_000) }], { index: 0, field: 'value', message: /larger than/ }],
    ['a value deeper than the limit', token, [{ op: 'add', path: '/properties/deep', value: { a: { b: { c: { d: { e: 1 } } } } } }], { index: 0, field: 'value', message: /deeper than 6/ }],
    ['a move that nests too deep', () => ({ a: { b: { c: {} } }, v: { w: { x: { y: 1 } } } }), [{ op: 'move', from: '/v', path: '/a/b/c/v' }], { index: 0, field: 'from', message: /deeper/ }],
    ['a copy into its own child, again and again', token, Array.from({ length: 10 }, (_, i): PatchOperation => ({ op: 'copy', from: '/properties', path: `/properties${'/c'.repeat(i)}/c` })), { index: 2, field: 'from', message: /larger|deeper/ }],
  ];
  it.each(refusals)('refuses %s, naming the operation', (_name, make, ops, expected) => {
    const input = make();
    const before = JSON.stringify(input);
    let caught: unknown;
    try {
      applyPatch(input, ops, limits);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PatchError);
    const error = caught as PatchError;
    expect({ index: error.index, field: error.field }).toEqual({ index: expected.index, field: expected.field });
    expect(error.message).toMatch(expected.message);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('measures a 5,000-deep value without overflowing the stack, and refuses it', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 5_000; i++) deep = { d: deep };
    expect(() => applyPatch(token(), [{ op: 'add', path: '/properties/deep', value: deep }], limits)).toThrow(/deeper than 6/);
  });

  it('lets a document already over the limit be patched if it does not grow', () => {
    const big = { status: 'active', properties: { blob: 'z'.repeat(5_000) } };
    expect(applyPatch(big, [{ op: 'replace', path: '/status', value: 'failed' }], limits).status).toBe('failed');
    expect(() => applyPatch(big, [{ op: 'add', path: '/properties/more', value: 'z' }], limits)).toThrow(PatchError);
  });

  it('keeps an exact running size: a patch fits a limit equal to its largest intermediate document, and not one byte less', () => {
    const key = fc.constantFrom('a', 'b', 'ü', 'k');
    const pointer = fc.array(fc.oneof(key, fc.constantFrom('0', '1', '-')), { minLength: 1, maxLength: 3 }).map((s) => `/${s.join('/')}`);
    const value = fc.jsonValue({ maxDepth: 2 });
    const operation: fc.Arbitrary<PatchOperation> = fc.oneof(
      fc.record({ op: fc.constantFrom('add' as const, 'replace' as const), path: pointer, value }),
      fc.record({ op: fc.constant('remove' as const), path: pointer }),
      fc.record({ op: fc.constantFrom('move' as const, 'copy' as const), from: pointer, path: pointer }),
    );
    const documentArb = fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
    fc.assert(
      fc.property(documentArb, fc.array(operation, { minLength: 1, maxLength: 8 }), (document, ops) => {
        // Apply one operation at a time without limits, measuring every intermediate document.
        let current: unknown = document;
        let largest = measureJson(document).bytes;
        try {
          for (const op of ops) {
            current = applyPatch(current, [op]);
            largest = Math.max(largest, measureJson(current).bytes);
          }
        } catch {
          return; // a patch that fails without limits is not about limits
        }
        expect(applyPatch(document, ops, { maxBytes: largest, maxDepth: Infinity })).toEqual(current);
        if (largest > measureJson(document).bytes) {
          expect(() => applyPatch(document, ops, { maxBytes: largest - 1, maxDepth: Infinity })).toThrow(/larger than/);
        }
      }),
      { numRuns: 500 },
    );
  });
});
