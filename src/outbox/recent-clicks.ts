import type { ClickEvent } from '../storage/click-event.entity.js';

/** Clicks per chunk: a look-up asks a few chunks, an eviction drops one. */
const CHUNK = 1000;

interface Chunk {
  byId: Map<string, ClickEvent>;
  /** The lowest and highest id in it: a look-up skips the chunks that cannot hold an id. */
  min: number;
  max: number;
}

/**
 * Clicks this process committed lately, kept so the outbox hands them on without reading them
 * back: at least the newest `capacity`, in chunks in arrival order. The oldest chunk goes as a
 * whole once the others hold `capacity` (no click-by-click eviction on the webhooks' path).
 */
export class RecentClicks {
  private readonly chunks: Chunk[] = [];
  private size = 0;

  constructor(private readonly capacity: number) {}

  add(clicks: readonly ClickEvent[]): void {
    for (const click of clicks) {
      let last = this.chunks.at(-1);
      if (!last || last.byId.size >= CHUNK) {
        this.chunks.push((last = { byId: new Map(), min: Infinity, max: -Infinity }));
      }
      last.byId.set(click.id, click);
      const id = Number(click.id);
      if (id < last.min) last.min = id;
      if (id > last.max) last.max = id;
    }
    this.size += clicks.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.byId.size >= this.capacity) {
      this.size -= this.chunks.shift()!.byId.size;
    }
  }

  /** The kept click of `id`, if it is kept. */
  get(id: string): ClickEvent | undefined {
    const n = Number(id);
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const chunk = this.chunks[i]!;
      if (n < chunk.min || n > chunk.max) continue;
      const click = chunk.byId.get(id);
      if (click) return click;
    }
    return undefined;
  }
}
