/**
 * RFC 6902 JSON Patch over plain JSON values, as a pure function: it never changes its input.
 * A failure names the operation by index; `test` failures are told apart because the API
 * answers them with 409 rather than 400.
 */
export type PatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

export class PatchError extends Error {
  constructor(
    readonly index: number,
    readonly field: 'path' | 'from' | 'value',
    message: string,
    readonly testFailed = false,
  ) {
    super(message);
  }
}

type Container = Record<string, unknown> | unknown[];

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

/** Patches are JSON in and JSON out, so a JSON round trip is the exact copy (own "__proto__" keys included). */
const jsonClone = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

/** RFC 6902 equality: same JSON type and value; object key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => jsonEqual(item, other[i]));
  }
  const aKeys = Object.keys(a);
  const bObject = b as Record<string, unknown>;
  return (
    aKeys.length === Object.keys(bObject).length &&
    aKeys.every((key) => hasOwn(bObject, key) && jsonEqual((a as Record<string, unknown>)[key], bObject[key]))
  );
}

/** Splits a JSON Pointer (RFC 6901) into its reference tokens. */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  const segments = pointer.slice(1).split('/');
  if (segments.some((s) => /~[^01]|~$/.test(s))) return undefined;
  return segments.map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const isContainer = (value: unknown): value is Container => value !== null && typeof value === 'object';

function arrayIndex(array: unknown[], segment: string, allowEnd: boolean): number | undefined {
  if (allowEnd && segment === '-') return array.length;
  if (!/^(0|[1-9]\d*)$/.test(segment)) return undefined;
  const index = Number(segment);
  return index < array.length || (allowEnd && index === array.length) ? index : undefined;
}

/** Sets an own property even for keys such as "__proto__", without touching any prototype. */
function defineOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

export function applyPatch<T>(document: T, operations: readonly PatchOperation[]): T {
  let root: unknown = jsonClone(document);

  const resolve = (segments: string[], index: number, field: 'path' | 'from'): unknown => {
    let current: unknown = root;
    for (const segment of segments) {
      if (Array.isArray(current)) {
        const i = arrayIndex(current, segment, false);
        if (i === undefined) throw new PatchError(index, field, `${field} does not exist`);
        current = current[i];
      } else if (isContainer(current) && hasOwn(current, segment)) {
        current = (current as Record<string, unknown>)[segment];
      } else {
        throw new PatchError(index, field, `${field} does not exist`);
      }
    }
    return current;
  };

  const parentOf = (segments: string[], index: number): { parent: Container; key: string } => {
    const parent = resolve(segments.slice(0, -1), index, 'path');
    if (!isContainer(parent)) throw new PatchError(index, 'path', 'path does not exist');
    return { parent, key: segments[segments.length - 1]! };
  };

  const remove = (segments: string[], index: number, field: 'path' | 'from'): unknown => {
    const { parent, key } = parentOf(segments, index);
    if (Array.isArray(parent)) {
      const i = arrayIndex(parent, key, false);
      if (i === undefined) throw new PatchError(index, field, `${field} does not exist`);
      return parent.splice(i, 1)[0];
    }
    if (!hasOwn(parent, key)) throw new PatchError(index, field, `${field} does not exist`);
    const value = parent[key];
    delete parent[key];
    return value;
  };

  const add = (segments: string[], value: unknown, index: number): void => {
    if (segments.length === 0) {
      root = value;
      return;
    }
    const { parent, key } = parentOf(segments, index);
    if (Array.isArray(parent)) {
      const i = arrayIndex(parent, key, true);
      if (i === undefined) throw new PatchError(index, 'path', 'array index is out of range');
      parent.splice(i, 0, value);
    } else {
      defineOwn(parent, key, value);
    }
  };

  operations.forEach((operation, index) => {
    const path = parsePointer(operation.path);
    if (!path) throw new PatchError(index, 'path', 'path must be a JSON Pointer such as /status');
    switch (operation.op) {
      case 'add':
        add(path, jsonClone(operation.value), index);
        break;
      case 'remove':
        if (path.length === 0) throw new PatchError(index, 'path', 'the whole document can not be removed');
        remove(path, index, 'path');
        break;
      case 'replace':
        if (path.length === 0) {
          root = jsonClone(operation.value);
          break;
        }
        resolve(path, index, 'path');
        remove(path, index, 'path');
        add(path, jsonClone(operation.value), index);
        break;
      case 'move': {
        const from = parsePointer(operation.from);
        if (!from) throw new PatchError(index, 'from', 'from must be a JSON Pointer');
        if (operation.path.startsWith(`${operation.from}/`)) {
          throw new PatchError(index, 'path', 'a value can not be moved into one of its own children');
        }
        if (operation.from === operation.path) break;
        const value = remove(from, index, 'from');
        add(path, value, index);
        break;
      }
      case 'copy': {
        const from = parsePointer(operation.from);
        if (!from) throw new PatchError(index, 'from', 'from must be a JSON Pointer');
        add(path, jsonClone(resolve(from, index, 'from')), index);
        break;
      }
      case 'test': {
        let actual: unknown;
        try {
          actual = resolve(path, index, 'path');
        } catch {
          throw new PatchError(index, 'path', 'test failed: path does not exist', true);
        }
        if (!jsonEqual(actual, operation.value)) {
          throw new PatchError(index, 'value', 'test failed: value differs', true);
        }
        break;
      }
    }
  });
  return root as T;
}
