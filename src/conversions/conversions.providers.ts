import type { Provider } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import {
  WHATSAPP_CLICKS_CONFIG,
  WHATSAPP_CLICKS_DATA_SOURCE,
} from '../whatsapp-clicks.constants.js';
import {
  type WhatsAppClicksConfig,
  WhatsAppClicksConfigError,
} from '../whatsapp-clicks.options.js';
import { BeaconLimit } from './beacon-limit.js';
import { CONVERSIONS_TABLE, ConversionStore } from './conversion.store.js';

/** What the `conversionsPath` extra adds beside its controllers. */
export const CONVERSIONS_PROVIDERS: Provider[] = [
  {
    provide: ConversionStore,
    // Checked at start: a missing table would answer every report 503 until someone looked.
    useFactory: async (dataSource: DataSource) => {
      const runner = dataSource.createQueryRunner();
      try {
        if (!(await runner.hasTable(CONVERSIONS_TABLE))) {
          throw new WhatsAppClicksConfigError(
            `WhatsAppClicksModule: conversionsPath needs the table ${CONVERSIONS_TABLE}: run whatsAppClicksMigrations`,
          );
        }
      } finally {
        await runner.release();
      }
      return new ConversionStore(dataSource);
    },
    inject: [WHATSAPP_CLICKS_DATA_SOURCE],
  },
  {
    provide: BeaconLimit,
    useFactory: (config: WhatsAppClicksConfig) => BeaconLimit.create(config.conversions.perMinute),
    inject: [WHATSAPP_CLICKS_CONFIG],
  },
];
