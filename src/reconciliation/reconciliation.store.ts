import type { DataSource } from 'typeorm';

const DAY_MS = 86_400_000;
const LINK_CLICK = 'marketing_messages_link_click';

export interface ReconciliationRow {
  businessAccountId: string;
  /** Midnight UTC of the day, ms. */
  day: number;
  metaClicks: number;
  storedClicks: number;
  checkedAt: number;
}

/** The stored side of a reconciliation, and its results (`click_reconciliation`). */
export class ReconciliationStore {
  private readonly postgres: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.postgres = dataSource.driver.options.type === 'postgres';
  }

  /** CTA link clicks of the account per UTC day in [from, to). */
  async storedCtaClicks(account: string, from: number, to: number): Promise<Map<number, number>> {
    const rows = await this.dataSource.query<{ d: string | number; n: string | number }[]>(
      `SELECT ("occurred_at" / ${DAY_MS}) AS "d", COUNT(*) AS "n" FROM "click_events" ` +
        `WHERE "business_account_id" = ${this.p(1)} AND "occurred_at" >= ${this.p(2)} AND "occurred_at" < ${this.p(3)} ` +
        `AND "action_type" = '${LINK_CLICK}' AND "click_component" = 'cta' GROUP BY ("occurred_at" / ${DAY_MS})`,
      [account, from, to],
    );
    return new Map(rows.map((row) => [Number(row.d) * DAY_MS, Number(row.n)]));
  }

  async save(rows: readonly ReconciliationRow[]): Promise<void> {
    for (const row of rows) {
      await this.dataSource.query(
        `INSERT INTO "click_reconciliation" ("business_account_id", "day", "meta_clicks", "stored_clicks", "checked_at") ` +
          `VALUES (${this.p(1)}, ${this.p(2)}, ${this.p(3)}, ${this.p(4)}, ${this.p(5)}) ` +
          `ON CONFLICT ("business_account_id", "day") DO UPDATE SET "meta_clicks" = excluded."meta_clicks", ` +
          `"stored_clicks" = excluded."stored_clicks", "checked_at" = excluded."checked_at"`,
        [row.businessAccountId, row.day, row.metaClicks, row.storedClicks, row.checkedAt],
      );
    }
  }

  /** The account's last `days` checked days, newest first. */
  async read(account: string, days: number): Promise<ReconciliationRow[]> {
    const rows = await this.dataSource.query<Record<string, string | number>[]>(
      `SELECT "day", "meta_clicks", "stored_clicks", "checked_at" FROM "click_reconciliation" ` +
        `WHERE "business_account_id" = ${this.p(1)} ORDER BY "day" DESC LIMIT ${this.p(2)}`,
      [account, days],
    );
    return rows.map((row) => ({
      businessAccountId: account,
      day: Number(row.day),
      metaClicks: Number(row.meta_clicks),
      storedClicks: Number(row.stored_clicks),
      checkedAt: Number(row.checked_at),
    }));
  }

  private p(n: number): string {
    return this.postgres ? `$${n}` : '?';
  }
}
