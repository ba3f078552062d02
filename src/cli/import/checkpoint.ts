import type { Collection, Db } from 'mongodb';
import type { BadRow, ImportCounts } from './import-report';

/**
 * `import_checkpoints` (docs/storage.md): how far an import of one file into one workspace
 * has got, keyed by the file's SHA-256 and the workspace. A batch's counts are written as
 * `pending` before the batch is, and folded into `counts` (with `line`, the batch's last line)
 * once it is: so a run killed at any point resumes after the last batch written, writes the
 * batch it was in again (every write is an idempotent upsert), and counts it once, as it was
 * first counted. Nothing before `line` is read for writing again.
 */
export type CheckpointDocument = {
  _id: string;
  workspace_id: string;
  file_sha256: string;
  format: string;
  /** The last line of the last batch written. */
  line: number;
  counts: ImportCounts;
  pending?: { to_line: number; counts: ImportCounts };
  /** The first bad rows (import-report.ts MAX_LISTED), for the report of a resumed run. */
  bad_rows: BadRow[];
  started_at: Date;
  updated_at: Date;
  finished_at?: Date;
};

export const IMPORT_CHECKPOINTS = 'import_checkpoints';

export class CheckpointStore {
  private readonly collection: Collection<CheckpointDocument>;

  constructor(db: Db) {
    this.collection = db.collection<CheckpointDocument>(IMPORT_CHECKPOINTS);
  }

  static idOf(workspaceId: string, sha256: string): string {
    return `${workspaceId}:${sha256}`;
  }

  get(id: string): Promise<CheckpointDocument | null> {
    return this.collection.findOne({ _id: id });
  }

  /** A fresh start: any earlier checkpoint of this file and workspace is replaced. */
  async begin(doc: Omit<CheckpointDocument, 'updated_at'>): Promise<void> {
    await this.collection.replaceOne({ _id: doc._id }, { ...doc, updated_at: doc.started_at }, { upsert: true });
  }

  async markPending(id: string, pending: CheckpointDocument['pending'], now: Date): Promise<void> {
    await this.collection.updateOne({ _id: id }, { $set: { pending, updated_at: now } });
  }

  async commit(id: string, line: number, counts: ImportCounts, badRows: BadRow[], now: Date): Promise<void> {
    await this.collection.updateOne({ _id: id }, { $set: { line, counts, bad_rows: badRows, updated_at: now }, $unset: { pending: '' } });
  }

  async finish(id: string, now: Date): Promise<void> {
    await this.collection.updateOne({ _id: id }, { $set: { finished_at: now, updated_at: now } });
  }
}
