import { ConfigurableModuleBuilder, type DynamicModule } from '@nestjs/common';
import { resolveExtras } from './config/resolve-config.js';
import { CONVERSIONS_PROVIDERS } from './conversions/conversions.providers.js';
import { createConversionsControllers } from './conversions/conversions.controller.js';
import { loadGraphQLModule } from './graphql/graphql.loader.js';
import { WebhookRawBodyMiddleware } from './webhook/webhook-raw-body.middleware.js';
import { WebhookSetupCheck } from './webhook/webhook-setup.check.js';
import { WebhookSignatureGuard } from './webhook/webhook-signature.guard.js';
import { createWebhookController } from './webhook/webhook.controller.js';
import { WhatsAppClicksCoreModule } from './whatsapp-clicks-core.module.js';
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
      ide: false,
      conversionsPath: undefined,
      dashboardPath: undefined,
      dashboardGraphqlPath: undefined,
    },
    (definition, given) => composeModule(definition, resolveExtras(given)),
  )
  .build();

/**
 * The module as the extras shape it: the core (options, storage, ingest), the webhook on top,
 * and the GraphQL part only with `graphql: true`, loaded then and not before.
 */
function composeModule(
  definition: DynamicModule,
  extras: ReturnType<typeof resolveExtras>,
): DynamicModule {
  const core = WhatsAppClicksCoreModule.compose(definition, WHATSAPP_CLICKS_MODULE_OPTIONS, extras);
  return {
    module: definition.module,
    global: extras.isGlobal,
    imports: [
      core,
      ...(extras.graphql
        ? [loadGraphQLModule(core, { ide: extras.ide, dashboard: extras.dashboard })]
        : []),
    ],
    controllers: [
      createWebhookController(extras.webhookPath),
      ...(extras.conversionsPath ? createConversionsControllers(extras.conversionsPath) : []),
    ],
    providers: [
      { provide: WHATSAPP_CLICKS_WEBHOOK_PATH, useValue: extras.webhookPath },
      WebhookSignatureGuard,
      WebhookRawBodyMiddleware,
      WebhookSetupCheck,
      ...(extras.conversionsPath ? CONVERSIONS_PROVIDERS : []),
    ],
    exports: [core],
  };
}

/** What `WhatsAppClicksModule.forRoot()` takes: the options and the extras. */
export type WhatsAppClicksForRootOptions = typeof OPTIONS_TYPE;
/** What `WhatsAppClicksModule.forRootAsync()` takes: `useFactory`/`useClass`/`useExisting`, and the extras. */
export type WhatsAppClicksForRootAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
