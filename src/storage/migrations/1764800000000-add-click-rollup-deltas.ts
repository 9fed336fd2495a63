import type { MigrationInterface, QueryRunner } from 'typeorm';

const KEY = '"business_account_id", "dimension", "grain", "bucket", "value"';
/** The rollups' grains and dimensions as this migration found them (`rollup-grains.ts`). */
const GRAINS: [grain: number, dimensions: string[]][] = [
  [2_419_200_000, ['product_id']],
  [86_400_000, ['', 'click_component', 'action_type', 'phone_number_id', 'product_id']],
  [900_000, ['', 'click_component', 'action_type', 'phone_number_id']],
];

/** Delta rows as rollup rows, a SELECT per grain and dimension (`rollupSelectSql`'s shape). */
function asRollupRows(from: string, aggregated: boolean): string {
  const arms = GRAINS.flatMap(([grain, dimensions]) =>
    dimensions.map((dimension) => {
      const value =
        dimension === ''
          ? "''"
          : `CASE WHEN "${dimension}" IS NULL THEN '' ELSE '=' || "${dimension}" END`;
      const bucket = `("quarter" / ${grain}) * ${grain}`;
      return aggregated
        ? `SELECT "business_account_id", '${dimension}', ${grain}, ${bucket}, ${value}, SUM("count") FROM ${from} GROUP BY 1, 4, 5`
        : `SELECT "business_account_id", CAST('${dimension}' AS VARCHAR) AS "dimension", CAST(${grain} AS BIGINT) AS "grain", ` +
            `${bucket} AS "bucket", ${value} AS "value", "count" FROM ${from}`;
    }),
  );
  return arms.join(' UNION ALL ');
}

/**
 * PostgreSQL only (`docs/rollups.md`): `click_rollup_deltas`, what ingest and retention add to
 * the rollups, appended as one row per combination of a click's account, quarter hour and
 * values. Updating the rollups in place cost single-action ingest a third: ten rows a click,
 * and rows that every group of an account and quarter hour updates (`bench/RESULTS.md`
 * 0.10.0). `RollupFolding` folds the deltas into `click_rollups`; statistics read both through
 * the view `click_rollup_counts`. SQLite has one writer and keeps updating the rollups in place.
 */
export class AddClickRollupDeltas1764800000000 implements MigrationInterface {
  name = 'AddClickRollupDeltas1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type !== 'postgres') return;
    await queryRunner.query(`CREATE TABLE "click_rollup_deltas" (
      "business_account_id" VARCHAR NOT NULL,
      "quarter" BIGINT NOT NULL,
      "click_component" VARCHAR,
      "action_type" VARCHAR NOT NULL,
      "phone_number_id" VARCHAR NOT NULL,
      "product_id" VARCHAR,
      "count" BIGINT NOT NULL
    )`);
    // Reads look up an account's deltas (a second of ingest or so) by it.
    await queryRunner.query(
      `CREATE INDEX "ix_click_rollup_deltas_account" ON "click_rollup_deltas" ("business_account_id", "quarter")`,
    );
    await queryRunner.query(
      `CREATE VIEW "click_rollup_counts" AS SELECT ${KEY}, "count" FROM "click_rollups" ` +
        `UNION ALL ${asRollupRows('"click_rollup_deltas"', false)}`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type !== 'postgres') return;
    // What was not folded yet goes into the rollups, where the older version counts.
    await queryRunner.query(
      `INSERT INTO "click_rollups" (${KEY}, "count") SELECT * FROM (${asRollupRows('"click_rollup_deltas"', true)}) AS "rows" ` +
        `ORDER BY 1, 2, 3, 4, 5 ON CONFLICT (${KEY}) DO UPDATE SET "count" = "click_rollups"."count" + EXCLUDED."count"`,
    );
    await queryRunner.query(`DELETE FROM "click_rollups" WHERE "count" <= 0`);
    await queryRunner.query(`DROP VIEW "click_rollup_counts"`);
    await queryRunner.query(`DROP TABLE "click_rollup_deltas"`);
  }
}
