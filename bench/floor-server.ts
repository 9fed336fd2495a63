/**
 * The floor: what this machine does with the least work a correct receiver can do. Plain
 * node:http, the HMAC check on the raw bytes, JSON.parse, and one prepared conflict-ignoring
 * INSERT per action in one transaction, into the project's own table. Nothing else: no
 * framework, no validation, no rejection storage, no events.
 *
 *   node dist/bench/floor-server.js <port> <DATABASE_URL> <app secret>
 */
import Database from 'better-sqlite3';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';

const [port, databaseUrl, secret] = process.argv.slice(2) as [string, string, string];

const COLUMNS =
  'business_account_id, phone_number_id, display_phone_number, action_type, click_component, click_id, product_id, tracking_token, occurred_at, received_at, dedupe_key';
const CONFLICT = 'ON CONFLICT (business_account_id, dedupe_key, action_type) DO NOTHING';

type Row = (string | number | null)[];

function rowsOf(body: any, receivedAt: number): Row[] {
  const rows: Row[] = [];
  for (const entry of body.entry) {
    for (const change of entry.changes) {
      const meta = change.value.metadata;
      for (const action of change.value.user_actions) {
        const data = action.marketing_messages_link_click_data ?? {};
        rows.push([
          entry.id,
          meta.phone_number_id,
          meta.display_phone_number ?? null,
          action.action_type,
          data.click_component ?? null,
          data.click_id ?? null,
          data.product_id ?? null,
          data.tracking_token ?? null,
          Number(action.timestamp) * 1000,
          receivedAt,
          data.click_id,
        ]);
      }
    }
  }
  return rows;
}

let store: (rows: Row[]) => Promise<void>;
if (databaseUrl.startsWith('sqlite:')) {
  const db = new Database(databaseUrl.slice('sqlite:'.length));
  db.pragma('journal_mode = WAL');
  const insert = db.prepare(
    `INSERT INTO click_events (${COLUMNS}) VALUES (${Array(11).fill('?').join(', ')}) ${CONFLICT}`,
  );
  const transaction = db.transaction((rows: Row[]) => {
    for (const row of rows) insert.run(...row);
  });
  store = async (rows) => transaction(rows);
} else {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const text = `INSERT INTO click_events (${COLUMNS}) VALUES (${Array.from({ length: 11 }, (_, i) => `$${i + 1}`).join(', ')}) ${CONFLICT}`;
  store = async (rows) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (const row of rows) await client.query({ name: 'insert_click', text, values: row });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  };
}

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const header = String(req.headers['x-hub-signature-256'] ?? '');
    const expected = createHmac('sha256', secret).update(raw).digest();
    const given = Buffer.from(header.slice('sha256='.length), 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.writeHead(401).end();
      return;
    }
    store(rowsOf(JSON.parse(raw.toString('utf8')), Date.now())).then(
      () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
      () => res.writeHead(503).end(),
    );
  });
}).listen(Number(port), '127.0.0.1');
