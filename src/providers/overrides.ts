/**
 * Courier's `message.providers.<key>.override`, as pure functions: it is deep-merged into that
 * provider's request after our mapping (objects merge; arrays and scalars replace), and it can
 * never redirect or re-authenticate a message: fields that target devices or carry credentials
 * are refused with a 400 naming them.
 */
export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `override` merged into `base`: objects merge key by key, arrays and scalars replace. Neither input changes. */
export function deepMerge<T extends Json>(base: T, override: Json): T {
  const merged: Json = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = Object.hasOwn(merged, key) ? merged[key] : undefined;
    Object.defineProperty(merged, key, { value: isObject(current) && isObject(value) ? deepMerge(current, value) : structuredClone(value), enumerable: true, writable: true, configurable: true });
  }
  return merged as T;
}

/**
 * One provider's override rules (its module's `overrideRules`): it calls `refuse` with the path
 * (below the override) of each field an override may not set, and why. The override is already
 * known to be an object.
 */
export type Refuse = (path: string, why?: string) => void;
export type OverrideRules = (override: Json, refuse: Refuse) => void;

/** Why a field that targets devices or carries credentials is refused. */
export const TARGETING_OR_CREDENTIALS = 'targets devices or carries credentials; an override may not set it';
