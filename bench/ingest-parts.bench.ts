/**
 * What two choices on the ingest path cost, each against what it replaced, in one run:
 * - reading a 1000-action delivery: the hand-written `parseClickPayload` against class-validator
 *   DTOs (`plainToInstance` + `validateSync`, nested), the usual Nest way;
 * - storing 1000 actions in one SQLite transaction: the repository's prepared statements on the
 *   driver's handle against TypeORM's insert query builder (`orIgnore`, entity metadata, the
 *   generated-id read-back) on the same table.
 *
 *   npm run bench:parts
 */
import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  ValidateNested,
  validateSync,
} from 'class-validator';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { parseClickPayload } from '../src/payload/click-payload.parser.js';
import { dataSourceOptions } from '../server/server-config.js';
import { ClickEvent } from '../src/storage/click-event.entity.js';
import { ClickEventRepository } from '../src/storage/click-event.repository.js';
import { sampleClickAction, sampleClickDelivery } from '../src/testing/click-payloads.js';
import { timed } from './support/harness.js';

class ClickDataDto {
  @IsOptional() @IsIn(['cta', 'body']) click_component?: string;
  @IsOptional() @IsString() click_id?: string;
  @IsOptional() @IsString() product_id?: string;
  @IsOptional() @IsString() tracking_token?: string;
}
class ActionDto {
  @IsString() @IsNotEmpty() action_type!: string;
  @Matches(/^\d+$/) timestamp!: string;
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ClickDataDto)
  marketing_messages_link_click_data?: ClickDataDto;
}
class MetadataDto {
  @IsString() phone_number_id!: string;
  @IsOptional() @IsString() display_phone_number?: string;
}
class ValueDto {
  @ValidateNested() @Type(() => MetadataDto) metadata!: MetadataDto;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ActionDto) user_actions!: ActionDto[];
}
class ChangeDto {
  @IsString() field!: string;
  @ValidateNested() @Type(() => ValueDto) value!: ValueDto;
}
class EntryDto {
  @IsString() id!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => ChangeDto) changes!: ChangeDto[];
}
class EnvelopeDto {
  @IsString() object!: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => EntryDto) entry!: EntryDto[];
}

let sequence = 0;
const delivery = () =>
  JSON.parse(
    JSON.stringify(
      sampleClickDelivery({
        actions: Array.from({ length: 1000 }, () =>
          sampleClickAction({ click_id: `parts-${sequence++}`, timestamp: '1763700000' }),
        ),
      }),
    ),
  ) as Record<string, unknown>;

async function main(): Promise<void> {
  const rows: [string, { p50: number; p99: number }][] = [];
  const body = delivery();
  rows.push([
    'read 1000 actions: parseClickPayload (the project)',
    await timed(200, () => parseClickPayload(body)),
  ]);
  rows.push([
    'read 1000 actions: class-validator DTOs',
    await timed(50, () => {
      const errors = validateSync(plainToInstance(EnvelopeDto, body));
      if (errors.length > 0) throw new Error(JSON.stringify(errors[0]));
    }),
  ]);

  const dir = mkdtempSync(join(tmpdir(), 'clicks-parts-'));
  const dataSource = new DataSource(dataSourceOptions(`sqlite:${join(dir, 'parts.sqlite')}`));
  try {
    await dataSource.initialize();
    await dataSource.runMigrations();
    const repository = new ClickEventRepository(dataSource, () => ['events']);
    // New clicks for every call, made before the clock starts.
    const fresh = () => Array.from({ length: 60 }, () => parseClickPayload(delivery()).actions);
    const ours = fresh();
    rows.push([
      'store 1000 actions: repository (the project)',
      await timed(50, () => repository.storeDelivery(ours.pop()!, [], new Date())),
    ]);
    const theirs = fresh();
    rows.push([
      'store 1000 actions: TypeORM insert().orIgnore()',
      await timed(50, async () => {
        const now = new Date();
        const values = theirs.pop()!.map((a) =>
          Object.assign(new ClickEvent(), {
            ...a,
            occurredAt: new Date(a.occurredAt),
            receivedAt: now,
          }),
        );
        await dataSource.transaction((manager) =>
          manager
            .createQueryBuilder()
            .insert()
            .into(ClickEvent)
            // TypeORM's deep-partial type refuses Record<string, unknown> columns.
            .values(values as never)
            .orIgnore()
            .execute(),
        );
      }),
    ]);
  } finally {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`\nIngest parts, node ${process.version} (each row: the time of one call)\n`);
  console.log('| measure | p50 ms | p99 ms |');
  console.log('| --- | ---: | ---: |');
  for (const [name, { p50, p99 }] of rows)
    console.log(`| ${name} | ${p50.toFixed(2)} | ${p99.toFixed(2)} |`);
}

await main();
