import { randomUUID } from 'node:crypto';
import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';

/**
 * Work that replicas share through MongoDB: each document is due at a time (in `dueField`),
 * and a replica claims a batch of due documents by moving that time forward by a lease and
 * writing its claim id, one conditional update for the batch. Every later write of the work
 * (complete, retry) is filtered on `{_id, claim}`: a replica whose lease ran out, and whose work
 * another replica has claimed since, can neither complete nor reschedule it. Work whose
 * replica died is due again once the lease ends.
 *
 * Each claim counts an attempt (`attempts`), and a retry keeps the reason (`last_error`), so an
 * operator can see what keeps failing. A worker takes only what it can finish within the
 * lease, or renews the lease (renew) before each piece of work. Expo receipts, delayed
 * messages, send results and webhook deliveries use it.
 */
export type QueuedFields<Id> = { _id: Id; claim?: string; attempts?: number; last_error?: string };
export type Claimed<T> = T & { claim: string };

export class LeasedQueue<T extends QueuedFields<Id> & Document, Id = T['_id']> {
  constructor(
    readonly collection: Collection<T>,
    /** The field holding when a document is next due (indexed). */
    private readonly dueField: keyof T & string,
  ) {}

  /** Claims up to `limit` documents due at `now` (oldest due first; `also` narrows them) for `leaseMs`; answers those this call claimed. */
  async claimDue(now: Date, limit: number, leaseMs: number, also?: Filter<T>): Promise<Claimed<T>[]> {
    const due = { [this.dueField]: { $lte: now }, ...(also ?? {}) } as Filter<T>;
    const candidates = await this.collection
      .find(due, { projection: { _id: 1 } })
      .sort({ [this.dueField]: 1 })
      .limit(limit)
      .toArray();
    if (candidates.length === 0) return [];
    const claim = randomUUID();
    const ids = candidates.map((c) => c._id);
    await this.collection.updateMany(
      { _id: { $in: ids }, ...due } as Filter<T>,
      { $set: { claim, [this.dueField]: new Date(now.getTime() + leaseMs) }, $inc: { attempts: 1 } } as unknown as UpdateFilter<T>,
    );
    // By _id (indexed), then by claim: the ones another replica claimed first are not ours.
    return (await this.collection.find({ _id: { $in: ids }, claim } as Filter<T>).toArray()) as Claimed<T>[];
  }

  /**
   * Still working: moves the lease of the documents this claim still holds to `until`. A
   * worker renews before each piece of work that could outlast what is left of its lease, and
   * goes ahead only with what it still holds; answers how many it does.
   */
  async renew(claim: string, ids: readonly Id[], until: Date): Promise<number> {
    if (ids.length === 0) return 0;
    const update = { $set: { [this.dueField]: until } } as unknown as UpdateFilter<T>;
    return (await this.collection.updateMany(this.held(claim, ids), update)).matchedCount;
  }

  /**
   * Runs `work` under a held lease: renews it first (answers undefined, without running `work`,
   * when this claim no longer holds the document), then every third of `leaseMs` while `work`
   * runs, so work that takes longer than one lease keeps its document.
   */
  async whileHeld<R>(claim: string, id: Id, leaseMs: number, now: () => Date, work: () => Promise<R>): Promise<R | undefined> {
    const held = await this.whileAllHeld(claim, [id], leaseMs, now, async () => work());
    return held?.result;
  }

  /**
   * `whileHeld` for a batch: renews the lease of every document first and runs `work` on those
   * this claim still holds (none: undefined), renewing them while it runs.
   */
  async whileAllHeld<R>(claim: string, ids: readonly Id[], leaseMs: number, now: () => Date, work: (held: Id[]) => Promise<R>): Promise<{ result: R } | undefined> {
    const until = () => new Date(now().getTime() + leaseMs);
    const renewed = await this.renew(claim, ids, until());
    if (renewed === 0) return undefined;
    // Some were taken by another replica meanwhile: work only on those still ours.
    const held = renewed === ids.length ? [...ids] : ((await this.collection.find(this.held(claim, ids), { projection: { _id: 1 } }).toArray()).map((doc) => doc._id) as Id[]);
    const timer = setInterval(() => {
      this.renew(claim, held, until()).catch(() => undefined);
    }, Math.max(50, Math.floor(leaseMs / 3)));
    timer.unref();
    try {
      return { result: await work(held) };
    } finally {
      clearInterval(timer);
    }
  }

  /** The work is done: removes the documents this claim still holds. Answers how many it removed. */
  async complete(claim: string, ids: readonly Id[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.collection.deleteMany(this.held(claim, ids))).deletedCount;
  }

  /** Not done yet: due again at `at` (with the reason, if one is given), if this claim still holds it. Answers how many. */
  async retry(claim: string, ids: readonly Id[], at: Date, error?: string): Promise<number> {
    if (ids.length === 0) return 0;
    const update = { $set: { [this.dueField]: at, ...(error !== undefined ? { last_error: error.slice(0, 500) } : {}) }, $unset: { claim: '' } } as unknown as UpdateFilter<T>;
    return (await this.collection.updateMany(this.held(claim, ids), update)).modifiedCount;
  }

  private held(claim: string, ids: readonly Id[]): Filter<T> {
    return { _id: { $in: [...ids] }, claim } as Filter<T>;
  }
}
