import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation with Meta's counts (`src/reconciliation/`, off unless configured): per account
 * and UTC day, the CTA clicks Meta counts and those stored, as last checked.
 */
export class CreateClickReconciliation1764500000000 implements MigrationInterface {
  name = 'CreateClickReconciliation1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "click_reconciliation" (
      "business_account_id" VARCHAR NOT NULL,
      "day" BIGINT NOT NULL,
      "meta_clicks" BIGINT NOT NULL,
      "stored_clicks" BIGINT NOT NULL,
      "checked_at" BIGINT NOT NULL,
      PRIMARY KEY ("business_account_id", "day")
    )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "click_reconciliation"`);
  }
}
