import { walBacklog, WAL_INDEX_HEADER_BYTES } from './wal-index.js';

/**
 * What the checkpoint worker runs (CommonJS, given to `new Worker(…, { eval: true })`): its own
 * connection to the database file. Every `intervalMs` it reads the WAL index's header from the
 * `-shm` file (a few bytes, no lock) and, once `pages` frames wait there, copies them into the
 * database with a PASSIVE checkpoint, as SQLite's own automatic checkpoint would after a commit
 * (PASSIVE never waits for, nor blocks, the writer or readers). A header it cannot read makes
 * it checkpoint once a second instead.
 *
 * workerData: `{ driver, file, pages, intervalMs }`. Messages out: `{ ready: true }`, then
 * `{ checkpoint: { busy, log, checkpointed } }` after each, or `{ error: { message, code } }`.
 * Message in: `'close'`.
 */
export const CHECKPOINT_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, openSync, readSync } = require('node:fs');
const { endianness } = require('node:os');
const Database = require(workerData.driver);
const walBacklog = ${walBacklog.toString()};
const db = new Database(workerData.file, { fileMustExist: true });
const header = Buffer.alloc(${WAL_INDEX_HEADER_BYTES});
const littleEndian = endianness() === 'LE';
let shm = null;
let lastAt = Date.now();
function backlog() {
  try {
    if (shm === null) shm = openSync(workerData.file + '-shm', 'r');
    return walBacklog(header.subarray(0, readSync(shm, header, 0, header.length, 0)), littleEndian);
  } catch {
    return null;
  }
}
const timer = setInterval(() => {
  const frames = backlog();
  if (frames === null ? Date.now() - lastAt < 1000 : frames < workerData.pages) return;
  lastAt = Date.now();
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ checkpoint: result });
  } catch (error) {
    parentPort.postMessage({
      error: { message: String(error && error.message ? error.message : error), code: error && error.code },
    });
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  if (shm !== null) closeSync(shm);
  db.close();
  parentPort.close();
});
parentPort.postMessage({ ready: true });
`;
