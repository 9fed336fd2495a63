/** How a group commit writes, and when it may. */
export interface GroupCommitOptions<W, R> {
  /**
   * Writes a group in one transaction (all of it, or nothing, and throws or rejects); a result
   * per write. Synchronous on SQLite, a promise on PostgreSQL.
   */
  commit(group: W[]): R[] | Promise<R[]>;
  /** The weight of one write (rows); a group holds up to `maxWeight`, and always one write. */
  weight(work: W): number;
  maxWeight: number;
  /** Whether an error is the database's (locked, unwritable) rather than one write's. */
  failsEveryWrite(error: unknown): boolean;
  /**
   * Whether a transaction may begin now: false while the shared connection is inside someone
   * else's transaction, which a group would otherwise join and share the fate of.
   */
  canBegin(): boolean;
  /** How long a group waits for `canBegin` before it fails, in ms. */
  waitLimitMs: number;
  /**
   * Groups committing at once (asynchronous commits only; default 1): while they are, the
   * next group fills up.
   */
  maxInFlight?: number;
}

/** A group could not begin: the connection stayed inside another transaction. */
export class ConnectionBusyError extends Error {
  override readonly name = 'ConnectionBusyError';
}

interface Pending<W, R> {
  work: W;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: the writes submitted in one turn of the event loop are committed together.
 *
 * Each write is still all-or-nothing, and its promise settles only once its own commit is
 * done. What they share is the transaction: one BEGIN and one COMMIT (on SQLite in WAL mode, one
 * fsync) for every webhook that reached storage while the loop was reading sockets, instead of
 * one each. A group is capped by weight (rows), so a burst is committed in slices and the loop
 * gets to answer in between; a write that fills a group on its own is committed at once (held
 * for the turn, 1000-action deliveries went 17 % slower: `bench/RESULTS.md`). When a group
 * fails, each of its writes is tried again alone, so one write that cannot be stored fails only
 * itself; unless the failure is the database's, which would fail every one of them again.
 */
export class GroupCommit<W, R> {
  private queue: Pending<W, R>[] = [];
  private scheduled = false;
  /** Since when the next group has waited for the connection, or null. */
  private waitingSince: number | null = null;
  /** Asynchronous commits not settled yet. */
  private inFlight = 0;
  private readonly maxInFlight: number;

  constructor(private readonly options: GroupCommitOptions<W, R>) {
    this.maxInFlight = options.maxInFlight ?? 1;
  }

  submit(work: W): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (
        this.queue.length === 0 &&
        this.inFlight < this.maxInFlight &&
        this.options.weight(work) >= this.options.maxWeight &&
        this.options.canBegin()
      ) {
        // A group on its own: nothing to wait for.
        this.commitAlone({ work, resolve, reject });
        return;
      }
      this.queue.push({ work, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Resolves once every write submitted so far has been committed or failed. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight > 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Flushes after the poll phase: every request read in this turn is in the queue by then. */
  private scheduleFlush(): void {
    // With every commit slot taken, the commit that settles first flushes again.
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    if (!this.options.canBegin()) {
      const now = Date.now();
      this.waitingSince ??= now;
      if (now - this.waitingSince < this.options.waitLimitMs) {
        this.scheduled = true;
        setTimeout(() => this.flush(), 1);
        return;
      }
      const error = new ConnectionBusyError(
        `the connection stayed inside another transaction for ${this.options.waitLimitMs} ms`,
      );
      this.waitingSince = null; // writes that come later wait their own time
      for (const entry of this.take(this.queue.length)) entry.reject(error);
      return;
    }
    this.waitingSince = null;
    const group = this.take(this.nextGroupSize());
    const failed = (error: unknown) => {
      const alone = group.length > 1 && !this.options.failsEveryWrite(error);
      for (const entry of group) {
        if (alone) this.commitAlone(entry);
        else entry.reject(error);
      }
    };
    this.run(
      group.map((entry) => entry.work),
      (results) => group.forEach((entry, i) => entry.resolve(results[i]!)),
      failed,
    );
    this.scheduleFlush();
  }

  /** Commits `works`, synchronously or not, and reports to `done` or `failed`. */
  private run(works: W[], done: (results: R[]) => void, failed: (error: unknown) => void): void {
    let results: R[] | Promise<R[]>;
    try {
      results = this.options.commit(works);
    } catch (error) {
      failed(error);
      return;
    }
    if (!(results instanceof Promise)) {
      done(results);
      return;
    }
    this.inFlight++;
    void results.then(done, failed).finally(() => {
      this.inFlight--;
      this.scheduleFlush();
    });
  }

  private nextGroupSize(): number {
    let size = 0;
    let weight = 0;
    while (size < this.queue.length) {
      const next = this.options.weight(this.queue[size]!.work);
      if (size > 0 && weight + next > this.options.maxWeight) break;
      weight += next;
      size++;
    }
    return size;
  }

  /** The first `size` writes of the queue; the rest wait for the next turn. */
  private take(size: number): Pending<W, R>[] {
    const group = this.queue.slice(0, size);
    this.queue = this.queue.slice(size);
    return group;
  }

  private commitAlone(entry: Pending<W, R>): void {
    this.run(
      [entry.work],
      (results) => entry.resolve(results[0]!),
      (error) => entry.reject(error),
    );
  }
}
