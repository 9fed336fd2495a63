import type { DataSource } from 'typeorm';
import { sqliteHandle } from '../../src/storage/sqlite-writer.js';

/** Scatters click times over the days (as a BigInt: i * SPREAD passes 2^53). */
const SPREAD = 2_654_435_761;

/**
 * `count` clicks of `account` written with SQL (around the module: no rollups, no outbox), their
 * times scattered over `days` days from `start` (ms): 3 phones, 200 products, 2 action types.
 * `inOrder`: ids follow time, as when clicks are stored as they come (time + a jitter of up to a
 * minute); otherwise ids and times are unrelated (the worst case for reads by time).
 */
export async function seedClicks(
  dataSource: DataSource,
  account: string,
  count: number,
  { start, days, inOrder = false }: { start: number; days: number; inOrder?: boolean },
): Promise<void> {
  const span = days * 86_400_000;
  const step = Math.floor(span / count);
  if (dataSource.driver.options.type === 'postgres') {
    await dataSource.query(`
      INSERT INTO click_events (business_account_id, phone_number_id, display_phone_number, action_type,
        click_component, click_id, product_id, tracking_token, occurred_at, received_at, dedupe_key, extra)
      SELECT '${account}', 'phone-' || (i % 3), '+1555000' || (i % 3),
        CASE WHEN i % 10 = 0 THEN 'landing_page_view' ELSE 'marketing_messages_link_click' END,
        CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN 'body' ELSE 'cta' END,
        '${account}-' || i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'sku-' || (i * 31 % 200) END, 'token',
        ${start} + ${inOrder ? `i::bigint * ${step} + (i::bigint * 7919) % 60000` : `((i::numeric * ${SPREAD}) % ${span})::bigint`},
        ${start + span}, '${account}-' || i, NULL
      FROM generate_series(1, ${count}) AS i`);
    await dataSource.query('VACUUM ANALYZE click_events');
    return;
  }
  const db = sqliteHandle(dataSource);
  const insert = db.prepare(`INSERT INTO click_events (business_account_id, phone_number_id,
    display_phone_number, action_type, click_component, click_id, product_id, tracking_token,
    occurred_at, received_at, dedupe_key, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`);
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      insert.run(
        account,
        `phone-${i % 3}`,
        `+1555000${i % 3}`,
        i % 10 === 0 ? 'landing_page_view' : 'marketing_messages_link_click',
        [null, 'body', 'cta', 'cta'][i % 4],
        `${account}-${i}`,
        i % 7 === 0 ? null : `sku-${(i * 31) % 200}`,
        'token',
        start +
          (inOrder
            ? i * step + ((i * 7919) % 60_000)
            : Number((BigInt(i) * BigInt(SPREAD)) % BigInt(span))),
        start + span,
        `${account}-${i}`,
      );
    }
  });
  for (let from = 1; from <= count; from += 50_000) batch(from, Math.min(count + 1, from + 50_000));
  db.exec('ANALYZE');
}
