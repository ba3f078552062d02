/**
 * The size and nesting of a JSON value, measured without recursion (so a hostile 100,000-deep
 * value can't overflow the stack) and abandoned as soon as a limit is passed (so measuring a
 * huge value costs no more than the limit). Sizes are UTF-8 bytes of compact JSON, ignoring
 * string escapes; the exact check of a result is Buffer.byteLength(JSON.stringify(...)).
 */
export type JsonLimits = { maxBytes: number; maxDepth: number };
export type JsonMeasure = { bytes: number; depth: number; exceeded: 'bytes' | 'depth' | undefined };

const UNLIMITED: JsonLimits = { maxBytes: Number.POSITIVE_INFINITY, maxDepth: Number.POSITIVE_INFINITY };

function scalarBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value) + 2;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value).length : 4; // JSON writes null
  if (typeof value === 'boolean') return value ? 4 : 5;
  return 4; // null (and undefined, which JSON drops or writes as null)
}

export function measureJson(value: unknown, limits: JsonLimits = UNLIMITED): JsonMeasure {
  let bytes = 0;
  let depth = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    const current = item.value;
    if (current === null || typeof current !== 'object') {
      bytes += scalarBytes(current);
    } else {
      const level = item.depth + 1;
      if (level > depth) depth = level;
      if (depth > limits.maxDepth) return { bytes, depth, exceeded: 'depth' };
      // A container's own punctuation is counted before its children are queued, so a huge
      // array is abandoned without queueing its items.
      if (Array.isArray(current)) {
        bytes += 2 + Math.max(0, current.length - 1);
        if (bytes > limits.maxBytes) return { bytes, depth, exceeded: 'bytes' };
        for (const child of current) stack.push({ value: child, depth: level });
      } else {
        const keys = Object.keys(current);
        bytes += 2 + Math.max(0, keys.length - 1);
        for (const key of keys) bytes += Buffer.byteLength(key) + 3; // the quotes and the colon
        if (bytes > limits.maxBytes) return { bytes, depth, exceeded: 'bytes' };
        for (const key of keys) stack.push({ value: (current as Record<string, unknown>)[key], depth: level });
      }
    }
    if (bytes > limits.maxBytes) return { bytes, depth, exceeded: 'bytes' };
  }
  return { bytes, depth, exceeded: undefined };
}
