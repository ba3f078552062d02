import { Types } from 'mongoose';

/**
 * Paging cursors are opaque to clients: base64url of the last _id seen. Sorting by _id gives
 * a stable order (creation order) that the workspace_user index serves without a sort stage.
 */
export function encodeCursor(lastId: Types.ObjectId): string {
  return Buffer.from(lastId.toHexString(), 'hex').toString('base64url');
}

export function decodeCursor(cursor: string): Types.ObjectId | undefined {
  if (!/^[A-Za-z0-9_-]{16}$/.test(cursor)) return undefined;
  const hex = Buffer.from(cursor, 'base64url').toString('hex');
  return hex.length === 24 ? new Types.ObjectId(hex) : undefined;
}
