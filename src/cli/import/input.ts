import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse';
import type { Mapped } from './import-row';
import { JsonRecordSplitter } from './json-records';

/**
 * An import's input as a stream of records, whatever its size: a file or stdin (`-`), gzipped
 * or not (told by its first two bytes, 1f 8b), read once. `bytesRead` counts the bytes taken
 * from the file as it is (compressed, if it is), so progress is measured against its size.
 */
export type Input = { records: AsyncIterable<{ line: number; mapped: Mapped }>; bytesRead: () => number; totalBytes: number | undefined };
export type Source = { file: string; stdin: NodeJS.ReadableStream };

/** The file's SHA-256, read once before the import: its checkpoint's key. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The bytes of the input, gunzipped when they are gzip, counting what was read. */
export async function openBytes(source: Source): Promise<{ stream: Readable; bytesRead: () => number; totalBytes: number | undefined }> {
  const raw = source.file === '-' ? Readable.from(source.stdin) : createReadStream(source.file);
  let read = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      read += chunk.length;
      done(null, chunk);
    },
  });
  raw.on('error', (error: Error) => counted.destroy(error));
  raw.pipe(counted);
  // The first bytes tell gzip (1f 8b) from anything else; they are put back before reading on.
  const first = await new Promise<Buffer | null>((resolve, reject) => {
    const onReadable = () => {
      cleanup();
      resolve(counted.read() as Buffer | null);
    };
    const onEnd = () => {
      cleanup();
      resolve(null);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      counted.off('readable', onReadable);
      counted.off('end', onEnd);
      counted.off('error', onError);
    };
    counted.once('readable', onReadable);
    counted.once('end', onEnd);
    counted.once('error', onError);
  });
  if (first) counted.unshift(first);
  const gzip = first !== null && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  let stream: Readable = counted;
  if (gzip) {
    const gunzip = createGunzip();
    counted.on('error', (error) => gunzip.destroy(error));
    stream = counted.pipe(gunzip);
  }
  return { stream, bytesRead: () => read, totalBytes: source.file === '-' ? undefined : statSync(source.file).size };
}

/** NDJSON lines, or the objects of a JSON export (json-records.ts), each with its line. */
export async function* jsonRecords(stream: Readable, map: (value: Record<string, unknown>) => Mapped): AsyncGenerator<{ line: number; mapped: Mapped }> {
  const splitter = new JsonRecordSplitter();
  const decoder = new TextDecoder('utf-8');
  const emit = function* (records: ReturnType<JsonRecordSplitter['push']>) {
    for (const record of records) {
      if ('error' in record) yield { line: record.line, mapped: { kind: 'bad', problems: [{ path: 'line', message: record.error }] } as Mapped };
      else if (record.value === null || typeof record.value !== 'object' || Array.isArray(record.value)) yield { line: record.line, mapped: { kind: 'bad', problems: [{ path: 'line', message: 'is not a JSON object' }] } as Mapped };
      else yield { line: record.line, mapped: map(record.value as Record<string, unknown>) };
    }
  };
  for await (const chunk of stream) yield* emit(splitter.push(decoder.decode(chunk as Buffer, { stream: true })));
  yield* emit(splitter.push(decoder.decode()));
  yield* emit(splitter.end());
}

/** One JSON object per line; a line that is not one is a bad row naming `line`. */
export async function* ndjsonRecords(stream: Readable, map: (value: Record<string, unknown>) => Mapped): AsyncGenerator<{ line: number; mapped: Mapped }> {
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { line, mapped: { kind: 'bad', problems: [{ path: 'line', message: 'is not JSON' }] } };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) yield { line, mapped: { kind: 'bad', problems: [{ path: 'line', message: 'is not a JSON object' }] } };
    else yield { line, mapped: map(value as Record<string, unknown>) };
  }
}

/**
 * CSV with a header row (RFC 4180: quoted cells may hold commas, quotes and newlines), each
 * row as an object by column; `line` is the line the row ends on. `checkHeader` may refuse
 * the file from its header alone.
 */
export async function* csvRecords(stream: Readable, map: (row: Record<string, string>) => Mapped, checkHeader?: (columns: string[]) => void): AsyncGenerator<{ line: number; mapped: Mapped }> {
  const parser = stream.pipe(
    parseCsv({
      bom: true,
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      columns: (header: string[]) => {
        const columns = header.map((h) => h.trim());
        checkHeader?.(columns);
        return columns;
      },
    }),
  );
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) yield { line: info.lines, mapped: map(record) };
}
