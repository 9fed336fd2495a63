/**
 * The bytes of a `-shm` file (SQLite's WAL index) that `walBacklog` reads: the header, twice,
 * and the checkpoint information after it (https://www.sqlite.org/walformat.html, 2.2).
 */
export const WAL_INDEX_HEADER_BYTES = 100;

/**
 * How many frames of the write-ahead log are not yet copied into the database file (what a
 * checkpoint would copy), from the start of its WAL index; null when the bytes are not a WAL
 * index header this code knows (another version, not initialised, or caught mid-write: the two
 * copies differ).
 *
 * Layout, in the host's byte order: iVersion (u32 at 0, 3007000), isInit (u8 at 12), mxFrame
 * (u32 at 16, the last valid frame), the same 48 bytes again at 48, then nBackfill (u32 at 96,
 * the frames already checkpointed). Self-contained on purpose: the checkpoint worker's source
 * embeds it as text (`checkpoint.worker-source.ts`).
 */
export function walBacklog(bytes: Uint8Array, littleEndian: boolean): number | null {
  if (bytes.length < 100) return null;
  for (let i = 0; i < 48; i++) if (bytes[i] !== bytes[48 + i]) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(0, littleEndian) !== 3007000 || bytes[12] !== 1) return null;
  const frames = view.getUint32(16, littleEndian);
  const backfilled = view.getUint32(96, littleEndian);
  return backfilled >= frames ? 0 : frames - backfilled;
}
