/**
 * Named points where a test may have the process killed (SIGKILL, as a power cut would), to
 * prove that no committed change goes without its webhook event. Set once at start-up from
 * CRASH_POINT (config.ts); unset, as in production, every point is a no-op.
 */
let armed: string | undefined;

export function armCrashPoint(point: string | undefined): void {
  armed = point;
}

export function crashPoint(point: string): void {
  if (armed === point) process.kill(process.pid, 'SIGKILL');
}
