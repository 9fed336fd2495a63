/**
 * Group commit: the writes submitted in one turn of the event loop are committed together.
 *
 * Each write is still all-or-nothing, and its promise settles only once its own commit is
 * done. What they share is the transaction: one BEGIN and one COMMIT (on SQLite in WAL mode, one
 * fsync) for every webhook that reached storage while the loop was reading sockets, instead of
 * one each. A group is capped by weight (rows), so a burst is committed in slices and the loop
 * gets to answer in between. When a group fails, each of its writes is tried again alone, so
 * one write that cannot be stored fails only itself; unless the failure is the database's
 * (locked, unwritable), which would fail every one of them again.
 */
export class GroupCommit<W, R> {
  private queue: { work: W; resolve(result: R): void; reject(error: unknown): void }[] = [];
  private scheduled = false;

  /**
   * @param commit writes a group in one transaction (all of it, or nothing, and throws) and
   *   returns a result per write, in order
   * @param weight of one write; a group holds up to `maxWeight`, and always at least one write
   * @param failsEveryWrite whether an error is the database's, not one write's
   */
  constructor(
    private readonly commit: (group: W[]) => R[],
    private readonly weight: (work: W) => number,
    private readonly maxWeight: number,
    private readonly failsEveryWrite: (error: unknown) => boolean,
  ) {}

  submit(work: W): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ work, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the poll phase: every request read in this turn is in the queue by then.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    let size = 0;
    let weight = 0;
    while (size < this.queue.length) {
      const next = this.weight(this.queue[size].work);
      if (size > 0 && weight + next > this.maxWeight) break;
      weight += next;
      size++;
    }
    const group = this.queue.slice(0, size);
    this.queue = this.queue.slice(size);
    this.scheduled = this.queue.length > 0;
    if (this.scheduled) setImmediate(() => this.flush());

    let results: R[];
    try {
      results = this.commit(group.map((entry) => entry.work));
    } catch (error) {
      if (group.length === 1 || this.failsEveryWrite(error)) {
        for (const entry of group) entry.reject(error);
        return;
      }
      for (const entry of group) {
        try {
          entry.resolve(this.commit([entry.work])[0]);
        } catch (alone) {
          entry.reject(alone);
        }
      }
      return;
    }
    group.forEach((entry, i) => entry.resolve(results[i]));
  }
}
