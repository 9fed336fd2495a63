import { describe, expect, it } from 'vitest';
import { walBacklog } from './wal-index.js';

/** A WAL index header as SQLite writes it (both copies), then nBackfill. */
function header(frames: number, backfilled: number, littleEndian = true): Uint8Array {
  const bytes = new Uint8Array(136);
  const view = new DataView(bytes.buffer);
  for (const at of [0, 48]) {
    view.setUint32(at, 3007000, littleEndian);
    bytes[at + 12] = 1;
    view.setUint16(at + 14, 4096, littleEndian);
    view.setUint32(at + 16, frames, littleEndian);
  }
  view.setUint32(96, backfilled, littleEndian);
  return bytes;
}

describe('walBacklog', () => {
  it('is the frames not yet checkpointed, in either byte order', () => {
    expect(walBacklog(header(1500, 200), true)).toBe(1300);
    expect(walBacklog(header(1500, 200, false), false)).toBe(1300);
    expect(walBacklog(header(7, 7), true)).toBe(0);
    expect(walBacklog(header(0, 0), true)).toBe(0);
  });

  it('is null for bytes it cannot trust: short, another version, not initialised, copies that differ', () => {
    expect(walBacklog(header(10, 0).subarray(0, 99), true)).toBeNull();
    const version = header(10, 0);
    new DataView(version.buffer).setUint32(0, 3007001, true);
    new DataView(version.buffer).setUint32(48, 3007001, true);
    expect(walBacklog(version, true)).toBeNull();
    const uninitialised = header(10, 0);
    uninitialised[12] = uninitialised[60] = 0;
    expect(walBacklog(uninitialised, true)).toBeNull();
    const torn = header(10, 0);
    new DataView(torn.buffer).setUint32(16, 11, true);
    expect(walBacklog(torn, true)).toBeNull();
  });
});
