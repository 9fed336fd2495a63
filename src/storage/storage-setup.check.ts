import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { OUTBOX_TABLE } from '../outbox/outbox-target.js';
import { FUNNEL_QUEUE_TABLE, FUNNEL_ROLLUP_TABLE } from '../funnel/funnel-rollup-rows.js';
import { ROLLUP_DELTAS_TABLE } from '../rollups/rollup-deltas.js';
import { BACKFILL_TABLE, ROLLUP_TABLE } from '../rollups/rollup-grains.js';
import {
  InjectWhatsAppClicksConfig,
  WHATSAPP_CLICKS_DATA_SOURCE,
} from '../whatsapp-clicks.constants.js';
import {
  type WhatsAppClicksConfig,
  WhatsAppClicksConfigError,
} from '../whatsapp-clicks.options.js';
import { ClickEvent } from './click-event.entity.js';
import { RejectedDelivery } from './rejected-delivery.entity.js';

/**
 * Fails the start, with what to add, when the host's data source lacks the module's entities or
 * tables: otherwise the app would start and answer every webhook 503 until someone looked.
 */
@Injectable()
export class StorageSetupCheck implements OnModuleInit {
  constructor(
    @Inject(WHATSAPP_CLICKS_DATA_SOURCE) private readonly dataSource: DataSource,
    @InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const entities = [ClickEvent, RejectedDelivery];
    const unknown = entities.filter((entity) => !this.dataSource.hasMetadata(entity));
    if (unknown.length > 0) {
      throw new WhatsAppClicksConfigError(
        `WhatsAppClicksModule: the data source does not know ${unknown.map((e) => e.name).join(' and ')}: ` +
          'add ClickEvent and RejectedDelivery to its entities (or set autoLoadEntities: true)',
      );
    }
    const runner = this.dataSource.createQueryRunner();
    try {
      const missing: string[] = [];
      const tables = [
        ...entities.map((entity) => this.dataSource.getMetadata(entity).tableName),
        OUTBOX_TABLE,
        ROLLUP_TABLE,
        BACKFILL_TABLE,
        FUNNEL_ROLLUP_TABLE,
        FUNNEL_QUEUE_TABLE,
        'tracking_events',
        'click_conversions',
        // Written only with the `archive` option: a host that upgraded without running the
        // newest migration keeps working until it turns the archive on.
        ...(this.config.archive ? ['delivery_archive'] : []),
        ...(this.config.reconciliation ? ['click_reconciliation'] : []),
        ...(this.dataSource.driver.options.type === 'postgres' ? [ROLLUP_DELTAS_TABLE] : []),
      ];
      for (const table of tables) if (!(await runner.hasTable(table))) missing.push(table);
      // The stream order of resumed subscriptions (migration AddClickStreamOrder).
      const postgres = this.dataSource.driver.options.type === 'postgres';
      if (postgres && missing.length === 0 && !(await runner.hasColumn('click_events', 'tx_id'))) {
        missing.push('click_events.tx_id');
      }
      if (missing.length > 0) {
        throw new WhatsAppClicksConfigError(
          `WhatsAppClicksModule: ${missing.join(', ')} do not exist: add ` +
            "whatsAppClicksMigrations to the data source's migrations and run them (migrationsRun: true, " +
            'or `typeorm migration:run` before the app starts)',
        );
      }
    } finally {
      await runner.release();
    }
  }
}
