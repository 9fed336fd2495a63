import type { MigrationInterface, QueryRunner } from 'typeorm';

const LINK_CLICK = 'marketing_messages_link_click';
const DAY_MS = 86_400_000;
const QUARTER_MS = 900_000;

/**
 * Funnel rollups (`docs/funnel-rollups.md`): per account, bucket of the click's time, breakdown
 * value, step and currency, how many clicks reached the step and the values reported for it,
 * kept as clicks, landing views and conversions arrive.
 *
 * - The link clicks stored before are counted afterwards, in batches, by the running module
 *   (`RollupBackfill`, its progress row 2): the migration notes up to which id.
 * - `sent` tracking events are counted here, in one statement (the table is young and small).
 * - An index of link clicks by click id: a conversion names no account, and finds its click by it.
 *   Built in this transaction; writes wait for it (about 1 s per million clicks).
 */
export class CreateClickFunnelRollups1764700000000 implements MigrationInterface {
  name = 'CreateClickFunnelRollups1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    await queryRunner.query(`CREATE TABLE "click_funnel_rollups" (
      "business_account_id" VARCHAR NOT NULL,
      "dimension" VARCHAR NOT NULL,
      "grain" BIGINT NOT NULL,
      "bucket" BIGINT NOT NULL,
      "value" VARCHAR NOT NULL,
      "step" VARCHAR NOT NULL,
      "currency" VARCHAR NOT NULL,
      "count" BIGINT NOT NULL,
      "total" ${postgres ? 'DOUBLE PRECISION' : 'REAL'} NOT NULL,
      PRIMARY KEY ("business_account_id", "dimension", "grain", "bucket", "value", "step", "currency")${
        postgres ? ' INCLUDE ("count", "total")' : ''
      }
    )${postgres ? '' : ' WITHOUT ROWID'}`);
    await queryRunner.query(
      `CREATE INDEX "ix_click_events_link_click_id" ON "click_events" ("click_id") WHERE "action_type" = '${LINK_CLICK}'`,
    );
    await queryRunner.query(
      `INSERT INTO "click_rollup_backfill" ("id", "next_id", "last_id") ` +
        `SELECT 2, 1, COALESCE(MAX("id"), 0) FROM "click_events"`,
    );
    for (const grain of [DAY_MS, QUARTER_MS]) {
      for (const [dimension, value] of [
        ['', `''`],
        [
          'phone_number_id',
          `CASE WHEN "phone_number_id" IS NULL THEN '' ELSE '=' || "phone_number_id" END`,
        ],
      ]) {
        await queryRunner.query(
          `INSERT INTO "click_funnel_rollups" SELECT "business_account_id", '${dimension}', ${grain}, ` +
            `("occurred_at" / ${grain}) * ${grain}, ${value}, 'sent', '*', COUNT(*), 0 ` +
            `FROM "tracking_events" WHERE "event" = 'sent' GROUP BY 1, 4, 5`,
        );
      }
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "click_rollup_backfill" WHERE "id" = 2`);
    await queryRunner.query(`DROP INDEX "ix_click_events_link_click_id"`);
    await queryRunner.query(`DROP TABLE "click_funnel_rollups"`);
  }
}
