import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The funnel queue loses its index of click ids. It served one read, which rows under a batch's
 * click ids still wait to be counted; that read now asks the queue's key for the rows of the
 * states it read (`SqliteFunnelStore.pending`). The index was written for every queued click in
 * the webhook's transaction: 0.8 to 1.0 ms of a 1000-action delivery on SQLite
 * (bench/RESULTS.md, 0.12.0). Instant on both databases.
 */
export class DropClickFunnelQueueClickIndex1765000000000 implements MigrationInterface {
  name = 'DropClickFunnelQueueClickIndex1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "ix_click_funnel_queue_click"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "ix_click_funnel_queue_click" ON "click_funnel_queue" ("click_id") WHERE "click_id" IS NOT NULL`,
    );
  }
}
