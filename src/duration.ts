/**
 * Durations in config ("60d", "2mo", "500ms"). Months and years are calendar units, so
 * "2mo" from 31 December ends on the last day of February, as a person would expect.
 */
export type Duration = { amount: number; unit: DurationUnit };
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd' | 'w' | 'mo' | 'y';

const FIXED_UNIT_MS: Record<Exclude<DurationUnit, 'mo' | 'y'>, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION_PATTERN = /^(\d+)\s*(ms|s|m|h|d|w|mo|y)$/;

export function parseDuration(text: string): Duration | undefined {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return { amount: Number(match[1]), unit: match[2] as DurationUnit };
}

export function addDuration(from: Date, duration: Duration): Date {
  const result = new Date(from.getTime());
  if (duration.unit === 'mo' || duration.unit === 'y') {
    const months = duration.unit === 'y' ? duration.amount * 12 : duration.amount;
    const day = result.getUTCDate();
    result.setUTCDate(1);
    result.setUTCMonth(result.getUTCMonth() + months);
    const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
    result.setUTCDate(Math.min(day, lastDay));
    return result;
  }
  return new Date(result.getTime() + duration.amount * FIXED_UNIT_MS[duration.unit]);
}

/** Milliseconds of a fixed-length duration; calendar units are approximated (30d, 365d). */
export function durationToMs(duration: Duration): number {
  if (duration.unit === 'mo') return duration.amount * 30 * FIXED_UNIT_MS.d;
  if (duration.unit === 'y') return duration.amount * 365 * FIXED_UNIT_MS.d;
  return duration.amount * FIXED_UNIT_MS[duration.unit];
}
