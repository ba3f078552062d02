/**
 * `expires_in` of POST /auth/issue-token, in the formats of Courier's documentation (the `ms`
 * library's): "2 hours", "1d", "3 days", "10h", "2.5 hrs", "1m" (one minute), "5s", "1y", or a
 * number of seconds (as a JSON number or a string of digits). Answers whole seconds, or
 * undefined for anything else.
 */
const UNIT_SECONDS: Record<string, number> = {
  ms: 0.001, msec: 0.001, msecs: 0.001, millisecond: 0.001, milliseconds: 0.001,
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86_400, day: 86_400, days: 86_400,
  w: 604_800, week: 604_800, weeks: 604_800,
  // Courier (like ms) counts a year as 365.25 days.
  y: 31_557_600, yr: 31_557_600, yrs: 31_557_600, year: 31_557_600, years: 31_557_600,
};

const PATTERN = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)?$/i;

export function parseExpiresIn(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.floor(value) : undefined;
  if (typeof value !== 'string' || value.length > 32) return undefined;
  const match = PATTERN.exec(value.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = match[2]?.toLowerCase();
  const perUnit = unit === undefined ? 1 : UNIT_SECONDS[unit];
  if (perUnit === undefined) return undefined;
  const seconds = Math.floor(amount * perUnit);
  return seconds > 0 ? seconds : undefined;
}
