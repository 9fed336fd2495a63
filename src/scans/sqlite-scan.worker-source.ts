/**
 * What one SQLite scan worker runs (CommonJS, given to `new Worker(…, { eval: true })`): its own
 * read-only connection to the database file, one statement per message, rows or the error back.
 * A string rather than a file, so that it runs alike from the package and from the sources.
 *
 * workerData: `{ driver, file }`: the path better-sqlite3 loads from, the database file.
 * message in: `{ sql, parameters }`; out: `{ rows }` or `{ error: { message, code } }`.
 */
export const SQLITE_SCAN_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const statements = new Map();
function statementFor(sql) {
  let statement = statements.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    if (statements.size >= 64) statements.delete(statements.keys().next().value);
    statements.set(sql, statement);
  }
  return statement;
}
parentPort.on('message', ({ sql, parameters }) => {
  try {
    parentPort.postMessage({ rows: statementFor(sql).all(parameters) });
  } catch (error) {
    parentPort.postMessage({
      error: { message: String(error && error.message ? error.message : error), code: error && error.code },
    });
  }
});
parentPort.postMessage({ ready: true });
`;
