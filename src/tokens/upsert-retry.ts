const DUPLICATE_KEY = 11000;
/** Concurrent upserts of one new token can both miss and both insert; one gets E11000 and retries. */
/** How often a write that lost a race is tried again before the request answers 409. */
export const MAX_WRITE_ATTEMPTS = 5;

export const isDuplicateKey = (error: unknown) => (error as { code?: number } | null)?.code === DUPLICATE_KEY;

/** Runs an idempotent upsert again when it lost an insert race on the unique index. */
export async function retryOnDuplicateKey<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isDuplicateKey(error) || attempt >= MAX_WRITE_ATTEMPTS) throw error;
    }
  }
}
