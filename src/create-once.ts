import { linkSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Creates `file` with `content` unless it exists, atomically: the content is written to a
 * file of this process's own, then hard-linked into place, which fails if another process got
 * there first. So concurrent first starts (tests start several service processes at once)
 * all end up reading one complete file, never a half-written one or each its own.
 */
export function createFileOnce(file: string, content: () => string, mode = 0o600): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, content(), { mode });
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
}
