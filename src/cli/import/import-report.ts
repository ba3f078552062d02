import type { FieldProblem } from '../../errors';
import type { ImportOutcome } from '../../tokens/token-import';

/**
 * What an import did, by row: the same report for a real run and a dry run, as text for a
 * person or JSON (`--json`). Bad rows are counted, and the first MAX_LISTED are listed with
 * their line and the field a 400 would name.
 */
export type ImportCounts = {
  rows: number;
  created: number;
  updated: number;
  transferred: number;
  unchanged: number;
  /** Imported with status failed (OneSignal's invalid_identifier). */
  imported_failed: number;
  bad: number;
  skipped: Record<string, number>;
  /** Retired (revoked) and removed by the per-user bounds (MAX_TOKENS_PER_USER, MAX_BYTES_PER_USER). */
  evicted_revoked: number;
  evicted_removed: number;
};
export type BadRow = { line: number; problems: FieldProblem[] };
export type ImportReport = { format: string; workspace_id: string; dry_run: boolean; resumed_from_line: number | null; counts: ImportCounts; bad_rows: BadRow[]; seconds: number; rows_per_second: number; note: string };

export const MAX_LISTED = 100;

export function emptyCounts(): ImportCounts {
  return { rows: 0, created: 0, updated: 0, transferred: 0, unchanged: 0, imported_failed: 0, bad: 0, skipped: {}, evicted_revoked: 0, evicted_removed: 0 };
}

export function addCounts(into: ImportCounts, add: ImportCounts): void {
  for (const key of ['rows', 'created', 'updated', 'transferred', 'unchanged', 'imported_failed', 'bad', 'evicted_revoked', 'evicted_removed'] as const) into[key] += add[key];
  for (const [reason, n] of Object.entries(add.skipped)) into.skipped[reason] = (into.skipped[reason] ?? 0) + n;
}

export function countOutcome(counts: ImportCounts, outcome: ImportOutcome): void {
  counts[outcome]++;
}

export const IMPORT_NOTE = 'Imports send no webhooks: no token.invalidated or other events are written for imported tokens. Tokens imported as active are sendable at once.';

export function reportText(report: ImportReport): string {
  const c = report.counts;
  const skipped = Object.entries(c.skipped).sort((a, b) => b[1] - a[1]);
  const lines = [
    `${report.dry_run ? 'dry run (nothing written): ' : ''}${report.format} into workspace ${report.workspace_id}${report.resumed_from_line !== null ? `, resumed after line ${report.resumed_from_line}` : ''}`,
    `rows read:    ${c.rows}`,
    `created:      ${c.created}${c.imported_failed > 0 ? ` (${c.imported_failed} of them as failed: invalid at the source)` : ''}`,
    `updated:      ${c.updated}`,
    `transferred:  ${c.transferred} (held by another user, moved as a PUT moves it)`,
    `unchanged:    ${c.unchanged}`,
    `skipped:      ${skipped.reduce((n, [, k]) => n + k, 0)}${skipped.length > 0 ? ` (${skipped.map(([reason, n]) => `${reason} ${n}`).join(', ')})` : ''}`,
    `bad rows:     ${c.bad}`,
    `per-user bounds: ${c.evicted_revoked} retired, ${c.evicted_removed} removed`,
    `${report.seconds} s, ${report.rows_per_second} rows/s`,
    ...report.bad_rows.map((bad) => `  line ${bad.line}: ${bad.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`),
    ...(c.bad > report.bad_rows.length ? [`  … and ${c.bad - report.bad_rows.length} more bad rows`] : []),
    report.note,
  ];
  return lines.join('\n');
}
