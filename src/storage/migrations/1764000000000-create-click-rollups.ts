import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rollups (`docs/rollups.md`): click counts per account, grain, bucket and breakdown value,
 * written with each new click. The clicks stored before this migration are counted afterwards,
 * in small batches, by the running module (`RollupBackfill`): the migration only notes up to
 * which id that is, so it takes no time whatever the table holds.
 */
export class CreateClickRollups1764000000000 implements MigrationInterface {
  name = 'CreateClickRollups1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    await queryRunner.query(`CREATE TABLE "click_rollups" (
      "business_account_id" VARCHAR NOT NULL,
      "dimension" VARCHAR NOT NULL,
      "grain" BIGINT NOT NULL,
      "bucket" BIGINT NOT NULL,
      "value" VARCHAR NOT NULL,
      "count" BIGINT NOT NULL,
      PRIMARY KEY ("business_account_id", "dimension", "grain", "bucket", "value")${
        // Statistics read the key's index alone (SQLite: the table is that index).
        postgres ? ' INCLUDE ("count")' : ''
      }
    )${postgres ? '' : ' WITHOUT ROWID'}`);
    await queryRunner.query(`CREATE TABLE "click_rollup_backfill" (
      "id" INTEGER NOT NULL PRIMARY KEY,
      "next_id" BIGINT NOT NULL,
      "last_id" BIGINT NOT NULL
    )`);
    await queryRunner.query(
      `INSERT INTO "click_rollup_backfill" ("id", "next_id", "last_id") ` +
        `SELECT 1, 1, COALESCE(MAX("id"), 0) FROM "click_events"`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "click_rollup_backfill"`);
    await queryRunner.query(`DROP TABLE "click_rollups"`);
  }
}
