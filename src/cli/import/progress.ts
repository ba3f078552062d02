import cliProgress from 'cli-progress';

/**
 * An import's progress on stderr. On a terminal, a bar (cli-progress) of bytes read out of the
 * file's size (its compressed size, for a gzipped file), with rows, rows per second and an ETA;
 * otherwise a plain line every few seconds, for logs. Nothing at all with `quiet`.
 */
export type Progress = { update: (bytes: number, rows: number) => void; stop: () => void };

const PLAIN_EVERY_MS = 5_000;

export function progressReporter(options: { totalBytes: number | undefined; terminal: boolean; quiet: boolean; write: (line: string) => void; stream?: NodeJS.WritableStream }): Progress {
  if (options.quiet) return { update: () => {}, stop: () => {} };
  const started = Date.now();
  const rate = (rows: number) => Math.round(rows / Math.max(0.001, (Date.now() - started) / 1000));
  if (options.terminal && options.totalBytes !== undefined) {
    const bar = new cliProgress.SingleBar(
      { format: 'importing [{bar}] {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}', stream: options.stream ?? process.stderr, hideCursor: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(1, options.totalBytes), 0, { rows: 0, rate: 0 });
    return {
      update: (bytes, rows) => bar.update(Math.min(bytes, options.totalBytes!), { rows, rate: rate(rows) }),
      stop: () => bar.stop(),
    };
  }
  let last = Date.now();
  const line = (bytes: number, rows: number) =>
    `importing: ${rows} rows, ${rate(rows)} rows/s${options.totalBytes ? `, ${Math.floor((100 * bytes) / Math.max(1, options.totalBytes))}% of the file` : ''}`;
  let latest = { bytes: 0, rows: 0 };
  return {
    update: (bytes, rows) => {
      latest = { bytes, rows };
      if (Date.now() - last < PLAIN_EVERY_MS) return;
      last = Date.now();
      options.write(line(bytes, rows));
    },
    stop: () => options.write(line(latest.bytes, latest.rows)),
  };
}
