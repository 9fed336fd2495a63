import { ConfigurableModuleBuilder } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ClickEvent } from './storage/click-event.entity.js';
import { GRAPHQL_PROVIDERS } from './graphql/graphql.providers.js';
import { ClickEventQueries } from './storage/click-event.queries.js';
import { ClickEventRepository } from './storage/click-event.repository.js';
import { RejectedDelivery } from './storage/rejected-delivery.entity.js';
import { createWebhookController } from './webhook/webhook.controller.js';
import { WHATSAPP_CLICKS_WEBHOOK_PATH } from './whatsapp-clicks.constants.js';
import {
  DEFAULT_WEBHOOK_PATH,
  type WhatsAppClicksModuleExtras,
  type WhatsAppClicksModuleOptions,
} from './whatsapp-clicks.options.js';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: WHATSAPP_CLICKS_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<WhatsAppClicksModuleOptions>({ moduleName: 'WhatsAppClicks' })
  .setClassMethodName('forRoot')
  .setExtras<WhatsAppClicksModuleExtras>(
    {
      webhookPath: DEFAULT_WEBHOOK_PATH,
      dataSourceName: undefined,
      isGlobal: false,
      graphql: false,
    },
    (definition, extras) => {
      const webhookPath = extras.webhookPath ?? DEFAULT_WEBHOOK_PATH;
      const dataSource = getDataSourceToken(extras.dataSourceName);
      return {
        ...definition,
        global: extras.isGlobal,
        imports: [
          ...(definition.imports ?? []),
          TypeOrmModule.forFeature([ClickEvent, RejectedDelivery], extras.dataSourceName),
        ],
        controllers: [...(definition.controllers ?? []), createWebhookController(webhookPath)],
        providers: [
          ...(definition.providers ?? []),
          { provide: WHATSAPP_CLICKS_WEBHOOK_PATH, useValue: webhookPath },
          {
            provide: ClickEventRepository,
            useFactory: (source: DataSource) => new ClickEventRepository(source),
            inject: [dataSource],
          },
          {
            provide: ClickEventQueries,
            useFactory: (source: DataSource) => new ClickEventQueries(source),
            inject: [dataSource],
          },
          ...(extras.graphql ? GRAPHQL_PROVIDERS : []),
        ],
      };
    },
  )
  .build();

/** What `WhatsAppClicksModule.forRoot()` takes: the options and the extras. */
export type WhatsAppClicksForRootOptions = typeof OPTIONS_TYPE;
/** What `WhatsAppClicksModule.forRootAsync()` takes: `useFactory`/`useClass`/`useExisting`, and the extras. */
export type WhatsAppClicksForRootAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
