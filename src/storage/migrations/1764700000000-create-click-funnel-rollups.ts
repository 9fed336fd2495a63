import type { MigrationInterface, QueryRunner } from 'typeorm';

const LINK_CLICK = 'marketing_messages_link_click';

/**
 * Funnel rollups (`docs/funnel-rollups.md`): per account, bucket of the click's time, breakdown
 * value, step and currency, how many clicks reached the step and the values reported for it.
 *
 * - `click_funnel_queue`: the rows the rollups have not counted yet, by table (`k` clicks, `c`
 *   conversions, `t` tracking events) and id, with their account and click id where they have one. Ingest, conversions and tracking events add theirs
 *   in their own transaction; `FunnelCounter` counts them in batches and takes them out in the
 *   same transaction.
 * - Every row stored before is queued here, so the counter counts them too (the funnel reads the
 *   tables until it has). This is one INSERT … SELECT per table: about 2 s per million clicks,
 *   while writes wait.
 * - An index of link clicks by click id: a conversion names no account, and finds its click by it.
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
    await queryRunner.query(`CREATE TABLE "click_funnel_queue" (
      "kind" VARCHAR NOT NULL,
      "row_id" BIGINT NOT NULL,
      "business_account_id" VARCHAR,
      "click_id" VARCHAR,
      "queued_at" BIGINT NOT NULL,
      PRIMARY KEY ("kind", "row_id")
    )${postgres ? '' : ' WITHOUT ROWID'}`);
    await queryRunner.query(
      `CREATE INDEX "ix_click_funnel_queue_click" ON "click_funnel_queue" ("click_id") WHERE "click_id" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_click_events_link_click_id" ON "click_events" ("click_id") WHERE "action_type" = '${LINK_CLICK}'`,
    );
    const queue = `INSERT INTO "click_funnel_queue" ("kind", "row_id", "business_account_id", "click_id", "queued_at")`;
    await queryRunner.query(
      `${queue} SELECT 'k', "id", "business_account_id", "click_id", 0 FROM "click_events" ` +
        `WHERE "action_type" = '${LINK_CLICK}' OR "click_id" IS NOT NULL ORDER BY "id"`,
    );
    await queryRunner.query(
      `${queue} SELECT 'c', "id", NULL, "click_id", 0 FROM "click_conversions" ORDER BY "id"`,
    );
    await queryRunner.query(
      `${queue} SELECT 't', "id", "business_account_id", NULL, 0 FROM "tracking_events" WHERE "event" = 'sent' ORDER BY "id"`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_click_events_link_click_id"`);
    await queryRunner.query(`DROP TABLE "click_funnel_queue"`);
    await queryRunner.query(`DROP TABLE "click_funnel_rollups"`);
  }
}
