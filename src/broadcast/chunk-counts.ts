import type { ResultToken } from '../sender/send-result';
import type { ChunkCounts } from './broadcast-document';

/**
 * A chunk's counts from its send result (pure): per provider key, how many tokens were
 * delivered, reported dead, rejected, still failing after every retry, or skipped. Tokens no
 * provider was known for count under `none`.
 */
export function chunkCounts(tokens: readonly Pick<ResultToken, 'provider' | 'outcome'>[]): ChunkCounts {
  const counts: ChunkCounts = {};
  for (const t of tokens) {
    const tally = (counts[t.provider ?? 'none'] ??= { delivered: 0, invalid: 0, rejected: 0, retryable: 0, skipped: 0 });
    tally[t.outcome]++;
  }
  return counts;
}
