import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The order in which clicks become visible, for subscriptions that resume from a cursor
 * (`src/stream/`). On PostgreSQL two transactions can commit in the other order than their ids,
 * so each click also keeps the id of the transaction that wrote it, and the stream reads in
 * (transaction, id) order, only from transactions older than every one still running.
 *
 * Nothing on SQLite: one writer at a time, so ids grow in commit order, and the stream reads
 * windows of the rowid. An index (account, id) there would be narrower than the account-time
 * index, and SQLite's planner then picks it for `clickEvents` and sorts: 5 ms became 240 ms on
 * 300,000 clicks (`npm run bench:stream`).
 *
 * The column's first default is a constant, which PostgreSQL (11+) adds without rewriting the
 * table: clicks stored before it read as transaction 0, before every later one. The index is
 * built in this migration's transaction; writes wait for it (about 0.7 s per million clicks here,
 * `npm run bench:stream`).
 */
export class AddClickStreamOrder1764600000000 implements MigrationInterface {
  name = 'AddClickStreamOrder1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.query(
        `ALTER TABLE "click_events" ADD COLUMN "tx_id" xid8 NOT NULL DEFAULT '0'`,
      );
      await queryRunner.query(
        `ALTER TABLE "click_events" ALTER COLUMN "tx_id" SET DEFAULT pg_current_xact_id()`,
      );
      await queryRunner.query(
        `CREATE INDEX "ix_click_events_account_stream" ON "click_events" ("business_account_id", "tx_id", "id")`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.query(`DROP INDEX "ix_click_events_account_stream"`);
      await queryRunner.query(`ALTER TABLE "click_events" DROP COLUMN "tx_id"`);
    }
  }
}
