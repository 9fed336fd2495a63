import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrders1764000000000 implements MigrationInterface {
  name = 'CreateOrders1764000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      'CREATE TABLE "orders" ("id" SERIAL PRIMARY KEY, "click_id" varchar, "cents" integer NOT NULL)',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE "orders"');
  }
}
