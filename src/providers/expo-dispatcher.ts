import { Agent, type Dispatcher } from 'undici';

/**
 * The HTTP layer under expo-server-sdk, passed to it as `httpAgent` (an undici dispatcher).
 * It does three things the SDK has no option for:
 * - Sends to `baseUrl`: the SDK reads EXPO_BASE_URL once, when its module loads, so without
 *   this every client of the process would share one endpoint. Here each adapter has its own
 *   (config's EXPO_BASE_URL for the instance, a simulator per test).
 * - Bounds every request in time (connect, headers, body), which the SDK doesn't.
 * - Makes one SDK call one HTTP request: the SDK retries a 429 twice by itself, ignoring
 *   Retry-After, inside every attempt of the sender's own back-off, which would multiply the
 *   requests that hit a rate limit. A 429 is recorded on the call's `RateLimitNote` and handed
 *   to the SDK under another status (599, which nothing else answers), so it throws at once;
 *   the adapter then reports the 429, with its Retry-After, to the sender.
 */
export type RateLimitNote = { limited: boolean; retryAfterMs?: number };
/** The status a 429 reaches the SDK as; never sent by Expo, so never confused with a real answer. */
export const RATE_LIMITED_STATUS = 599;

export function expoAgent(timeoutMs: number, connections: number): Agent {
  return new Agent({ connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connections });
}

type Handler = Parameters<Dispatcher['dispatch']>[1] & Record<string, ((...args: unknown[]) => unknown) | undefined>;

/** A dispatcher for one SDK call: redirects to `baseUrl` and notes a 429 on `note`. */
export function oneCallDispatcher(agent: Agent, baseUrl: URL | undefined, note: RateLimitNote): Dispatcher {
  return agent.compose((dispatch) => (options, handler) => {
    const inner = handler as Handler;
    const forward = (name: string) => (...args: unknown[]) => inner[name]?.(...args);
    const noting = {
      onRequestStart: forward('onRequestStart'),
      onRequestUpgrade: forward('onRequestUpgrade'),
      onResponseStart: (controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string) => {
        if (statusCode === 429) {
          note.limited = true;
          const seconds = Number(headers['retry-after']);
          if (Number.isFinite(seconds) && seconds > 0) note.retryAfterMs = seconds * 1000;
          return inner.onResponseStart?.(controller, RATE_LIMITED_STATUS, headers, statusMessage);
        }
        return inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
      },
      onResponseData: forward('onResponseData'),
      onResponseEnd: forward('onResponseEnd'),
      onResponseError: forward('onResponseError'),
    };
    return dispatch(baseUrl ? { ...options, origin: baseUrl.origin } : options, noting as unknown as typeof handler);
  });
}
