/**
 * The service's public API, called with the API key the person signed in with. The key lives
 * in sessionStorage only: gone when the tab closes, never in a URL, never sent anywhere but
 * in the Authorization header of same-origin requests.
 */
const KEY = 'ptr.console.apiKey';
/** The service root: the console is served at <root>/console/, so behind a proxy's prefix too. */
export const API_ROOT = new URL('../', location.href);

export type KeyInfo = { workspace_id: string; scopes: string[]; key_hint: string };
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly body: unknown) {
    super(message);
  }
}

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY),
  save: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

export async function api<T>(method: string, path: string, body?: unknown, key = session.key()): Promise<T> {
  const response = await fetch(new URL(path.replace(/^\//, ''), API_ROOT), {
    method,
    headers: { authorization: `Bearer ${key ?? ''}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // A proxy's HTML error page: the status says enough.
  }
  if (!response.ok) {
    if (response.status === 401 && key === session.key()) onUnauthorized();
    throw new ApiError(response.status, describe(response.status, parsed), parsed);
  }
  return parsed as T;
}

function describe(status: number, body: unknown): string {
  const b = body as { message?: string; errors?: { path: string; message: string }[] } | undefined;
  const fields = b?.errors?.map((e) => `${e.path}: ${e.message}`).join('; ');
  if (fields) return fields;
  if (b?.message) return b.message;
  if (status >= 500) return `The service answered ${status}. Try again in a moment.`;
  return `The request failed (${status}).`;
}

export const enc = encodeURIComponent;
