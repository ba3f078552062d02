import { measureJson, type JsonLimits } from './json-measure';

/**
 * RFC 6902 JSON Patch over plain JSON values, as a pure function: it never changes its input.
 * A failure names the operation by index; `test` failures are told apart because the API
 * answers them with 409 rather than 400.
 *
 * With limits, the document's size and depth are checked as each operation is applied, before
 * any value is copied: `copy` doubles what it copies, so 27 small operations could otherwise
 * grow a small document past the process's memory before a check at the end ever ran. A
 * document that already exceeds a limit may keep its size (a patch can still shrink it).
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

/** What one member or item costs its container's JSON beyond the value itself: its key, and a comma if it has siblings. */
function memberBytes(parent: Container, key: string, siblings: number): number {
  const comma = siblings > 0 ? 1 : 0;
  return Array.isArray(parent) ? comma : Buffer.byteLength(key) + 3 + comma;
}

const memberCount = (container: Container) => (Array.isArray(container) ? container.length : Object.keys(container).length);

export function applyPatch<T>(document: T, operations: readonly PatchOperation[], limits?: JsonLimits): T {
  const initial = measureJson(document);
  const maxBytes = Math.max(limits?.maxBytes ?? Number.POSITIVE_INFINITY, initial.bytes);
  const maxDepth = Math.max(limits?.maxDepth ?? Number.POSITIVE_INFINITY, initial.depth);
  /** The document's JSON size as the operations apply, kept up to date without re-measuring it. */
  let bytes = initial.bytes;
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
    let value: unknown;
    if (Array.isArray(parent)) {
      const i = arrayIndex(parent, key, false);
      if (i === undefined) throw new PatchError(index, field, `${field} does not exist`);
      value = parent.splice(i, 1)[0];
    } else {
      if (!hasOwn(parent, key)) throw new PatchError(index, field, `${field} does not exist`);
      value = parent[key];
      delete parent[key];
    }
    bytes -= measureJson(value).bytes + memberBytes(parent, key, memberCount(parent));
    return value;
  };

  /**
   * Puts `value` at `segments`, after checking that the document stays within the limits
   * (before anything is copied). `copy` clones the value: it comes from the request or from
   * elsewhere in the document; a moved value is placed as it is.
   */
  const add = (segments: string[], value: unknown, index: number, field: 'value' | 'from', copy: boolean): void => {
    let parent: Container | undefined;
    let key = '';
    let replaced = bytes; // adding at the root replaces the whole document
    if (segments.length > 0) {
      ({ parent, key } = parentOf(segments, index));
      const existing = !Array.isArray(parent) && hasOwn(parent, key);
      if (Array.isArray(parent) && arrayIndex(parent, key, true) === undefined) {
        throw new PatchError(index, 'path', 'array index is out of range');
      }
      replaced = existing ? measureJson((parent as Record<string, unknown>)[key]).bytes : -memberBytes(parent, key, memberCount(parent));
    }
    const room = maxBytes - bytes + replaced;
    const measured = measureJson(value, { maxBytes: room, maxDepth: maxDepth - segments.length });
    if (measured.exceeded === 'depth') throw new PatchError(index, field, `would nest the token deeper than ${maxDepth} levels`);
    if (measured.exceeded === 'bytes') throw new PatchError(index, field, `would make the token larger than ${maxBytes} bytes of JSON`);
    bytes += measured.bytes - replaced;
    const placed = copy ? jsonClone(value) : value;
    if (!parent) root = placed;
    else if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true)!, 0, placed);
    else defineOwn(parent, key, placed);
  };

  operations.forEach((operation, index) => {
    const path = parsePointer(operation.path);
    if (!path) throw new PatchError(index, 'path', 'path must be a JSON Pointer such as /status');
    switch (operation.op) {
      case 'add':
        add(path, operation.value, index, 'value', true);
        break;
      case 'remove':
        if (path.length === 0) throw new PatchError(index, 'path', 'the whole document can not be removed');
        remove(path, index, 'path');
        break;
      case 'replace':
        if (path.length > 0) {
          resolve(path, index, 'path');
          remove(path, index, 'path');
        }
        add(path, operation.value, index, 'value', true);
        break;
      case 'move': {
        const from = parsePointer(operation.from);
        if (!from) throw new PatchError(index, 'from', 'from must be a JSON Pointer');
        if (operation.path.startsWith(`${operation.from}/`)) {
          throw new PatchError(index, 'path', 'a value can not be moved into one of its own children');
        }
        if (operation.from === operation.path) break;
        const value = remove(from, index, 'from');
        add(path, value, index, 'from', false);
        break;
      }
      case 'copy': {
        const from = parsePointer(operation.from);
        if (!from) throw new PatchError(index, 'from', 'from must be a JSON Pointer');
        add(path, resolve(from, index, 'from'), index, 'from', true);
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
