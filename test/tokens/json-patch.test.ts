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
