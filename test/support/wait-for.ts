/**
 * Waits for a condition, polling, never for a fixed time: answers as soon as `condition` holds,
 * and fails with `what` when it still does not after `timeoutMs`.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, { timeoutMs = 20_000, everyMs = 50 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
