import { Inject } from '@nestjs/common';

/** The resolved `WhatsAppClicksConfig`. */
export const WHATSAPP_CLICKS_CONFIG = Symbol('WHATSAPP_CLICKS_CONFIG');
export const InjectWhatsAppClicksConfig = () => Inject(WHATSAPP_CLICKS_CONFIG);

/** The webhook route of this module instance, as given in the extras. */
export const WHATSAPP_CLICKS_WEBHOOK_PATH = Symbol('WHATSAPP_CLICKS_WEBHOOK_PATH');

/** The host's TypeORM data source the module stores into. */
export const WHATSAPP_CLICKS_DATA_SOURCE = Symbol('WHATSAPP_CLICKS_DATA_SOURCE');
