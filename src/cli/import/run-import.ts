import type { Db } from 'mongodb';
import type { TokenImporter } from '../../tokens/token-import';
import type { EndpointPolicy } from '../../tokens/webpush-endpoint';
import { CheckpointStore, type CheckpointDocument } from './checkpoint';
import { addCounts, emptyCounts, IMPORT_NOTE, MAX_LISTED, type BadRow, type ImportCounts, type ImportReport } from './import-report';
import { checkRow, type Mapped } from './import-row';
import { csvRecords, fileSha256, jsonRecords, ndjsonRecords, openBytes, type Source } from './input';
import { mapOneSignalRow } from './onesignal-csv';
import { mapParseInstallation } from './parse-installations';
import type { Progress } from './progress';
import { mapTokenCsvRow, mapTokenRecord, missingCsvColumns } from './token-records';
import type { ImportRow } from '../../tokens/token-import';
import { crashPoint } from '../../crash-points';

/**
 * `admin import`: a file of tokens into one workspace, a batch at a time (docs/import.md). Each
 * record is mapped by its format's pure function, checked by the API's rules (import-row.ts),
 * and written by TokenImporter in bulk. A checkpoint in MongoDB (checkpoint.ts) lets
 * `--resume` continue a run that was stopped, with the same final counts. Memory holds one
 * batch, whatever the file's size.
 */
export const IMPORT_FORMATS = ['onesignal-csv', 'parse-installations', 'tokens-ndjson', 'tokens-csv'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export type ImportOptions = {
  workspaceId: string;
  format: ImportFormat;
  dryRun: boolean;
  resume: boolean;
  batchSize: number;
  anonymousPrefix: string;
  skipAnonymous: boolean;
  skipInvalid: boolean;
};

export class ImportUsageError extends Error {}

type Pending = { rows: ImportRow[]; lines: number[]; counts: ImportCounts; bad: BadRow[] };

export async function runImport(
  db: Db,
  importer: TokenImporter,
  source: Source,
  options: ImportOptions,
  io: { endpoints?: EndpointPolicy | undefined; now: () => Date; progress: Progress },
): Promise<ImportReport> {
  const started = Date.now();
  const checkpoints = new CheckpointStore(db);
  if (options.resume && source.file === '-') throw new ImportUsageError('--resume needs a file: stdin has no checkpoint');
  // The checkpoint's key; a dry run and stdin keep none.
  const sha = source.file !== '-' && !options.dryRun ? await fileSha256(source.file) : undefined;
  const id = sha ? CheckpointStore.idOf(options.workspaceId, sha) : undefined;
  let checkpoint: CheckpointDocument | null = null;
  if (options.resume && sha && id) {
    checkpoint = await checkpoints.get(id);
    if (!checkpoint) throw new ImportUsageError(`no checkpoint of this file for workspace ${options.workspaceId}: run it without --resume`);
    if (checkpoint.format !== options.format) throw new ImportUsageError(`this file was being imported as ${checkpoint.format}, not ${options.format}`);
  } else if (sha && id) {
    await checkpoints.begin({ _id: id, workspace_id: options.workspaceId, file_sha256: sha, format: options.format, line: 0, counts: emptyCounts(), started_at: io.now(), bad_rows: [] });
  }
  const counts = checkpoint ? structuredClone(checkpoint.counts) : emptyCounts();
  const badRows: BadRow[] = checkpoint ? [...(checkpoint.bad_rows ?? [])] : [];
  const report = (): ImportReport => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    return {
      format: options.format,
      workspace_id: options.workspaceId,
      dry_run: options.dryRun,
      resumed_from_line: checkpoint ? checkpoint.line : null,
      counts,
      bad_rows: badRows,
      seconds: Math.round(seconds * 10) / 10,
      rows_per_second: Math.round((counts.rows - (checkpoint?.counts.rows ?? 0)) / seconds),
      note: IMPORT_NOTE,
    };
  };
  if (checkpoint?.finished_at) return report();

  const input = await openBytes(source);
  const after = checkpoint?.line ?? 0;
  // A batch that was being written when the run stopped: written again, counted as it was first counted.
  const replay = checkpoint?.pending;
  let batch: Pending = { rows: [], lines: [], counts: emptyCounts(), bad: [] };

  const flush = async (toLine: number) => {
    const now = io.now();
    const plan = await importer.plan(options.workspaceId, batch.rows, now);
    const replaying = replay !== undefined && toLine === replay.to_line;
    if (!replaying) plan.outcomes.forEach((outcome) => batch.counts[outcome]++);
    const batchCounts = replaying ? replay.counts : batch.counts;
    if (!options.dryRun) {
      if (id) await checkpoints.markPending(id, { to_line: toLine, counts: batchCounts }, now);
      const evicted = await importer.apply(options.workspaceId, plan, now);
      // Written, not yet committed: a resume writes this batch again and counts it once.
      crashPoint('import:after-batch');
      if (!replaying) {
        batchCounts.evicted_revoked += evicted.revoked;
        batchCounts.evicted_removed += evicted.removed;
      }
    }
    addCounts(counts, batchCounts);
    for (const bad of batch.bad) if (badRows.length < MAX_LISTED) badRows.push(bad);
    if (id) await checkpoints.commit(id, toLine, counts, badRows, now);
    batch = { rows: [], lines: [], counts: emptyCounts(), bad: [] };
  };

  let lastLine = after;
  const inBatch = new Set<string>();
  for await (const { line, mapped } of recordsOf(options, input.stream)) {
    if (line <= after) continue;
    lastLine = line;
    const replaying = replay !== undefined && line <= replay.to_line;
    batch.counts.rows++;
    const checked = checkRow(mapped, io.endpoints, io.now());
    if (checked.kind === 'skip') batch.counts.skipped[checked.reason] = (batch.counts.skipped[checked.reason] ?? 0) + 1;
    else if (checked.kind === 'bad') {
      batch.counts.bad++;
      batch.bad.push({ line, problems: checked.problems });
    } else {
      // A token twice in one batch: the batch goes first, so the later row wins, as a second PUT would.
      if (inBatch.has(checked.row.token) && !replaying) {
        await flush(batch.lines.at(-1)!);
        inBatch.clear();
      }
      if (checked.row.state?.status === 'failed' && options.format === 'onesignal-csv') batch.counts.imported_failed++;
      batch.rows.push(checked.row);
      batch.lines.push(line);
      inBatch.add(checked.row.token);
    }
    // The batch being replayed ends exactly where it ended before; others at the batch size.
    if (replaying ? line === replay.to_line : batch.counts.rows >= options.batchSize) {
      await flush(line);
      inBatch.clear();
    }
    io.progress.update(input.bytesRead(), counts.rows + batch.counts.rows);
  }
  if (batch.counts.rows > 0) await flush(lastLine);
  if (id) await checkpoints.finish(id, io.now());
  io.progress.update(input.bytesRead(), counts.rows);
  return report();
}

function recordsOf(options: ImportOptions, stream: NodeJS.ReadableStream & import('node:stream').Readable): AsyncIterable<{ line: number; mapped: Mapped }> {
  const people = { anonymousPrefix: options.anonymousPrefix, skipAnonymous: options.skipAnonymous };
  switch (options.format) {
    case 'onesignal-csv':
      return csvRecords(stream, (row) => mapOneSignalRow(row, { ...people, skipInvalid: options.skipInvalid }), (columns) => {
        for (const needed of ['identifier', 'device_type']) if (!columns.includes(needed)) throw new ImportUsageError(`not a OneSignal subscriptions export: no ${needed} column`);
      });
    case 'parse-installations':
      return jsonRecords(stream, (doc) => mapParseInstallation(doc, people));
    case 'tokens-ndjson':
      return ndjsonRecords(stream, mapTokenRecord);
    case 'tokens-csv':
      return csvRecords(stream, mapTokenCsvRow, (columns) => {
        const missing = missingCsvColumns(columns);
        if (missing.length > 0) throw new ImportUsageError(`tokens-csv needs the columns ${missing.join(', ')} in its header row`);
      });
  }
}
