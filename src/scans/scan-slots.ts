/**
 * At most `size` tasks at a time, each given a slot number of its own (0 … size - 1), the rest
 * waiting in arrival order. A slot stands for whatever runs one task: a worker thread, or a turn.
 */
export class ScanSlots {
  private readonly free: number[];
  private readonly waiting: ((slot: number) => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('ScanSlots needs 1 slot or more');
    this.free = Array.from({ length: size }, (_, i) => size - 1 - i);
  }

  /** Tasks waiting for a slot (not those running). */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: (slot: number) => Promise<T>): Promise<T> {
    const slot =
      this.free.pop() ?? (await new Promise<number>((resolve) => this.waiting.push(resolve)));
    try {
      return await task(slot);
    } finally {
      const waiter = this.waiting.shift();
      if (waiter) waiter(slot);
      else this.free.push(slot);
    }
  }
}
