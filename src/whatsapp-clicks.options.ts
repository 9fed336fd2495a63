/** Options of `WhatsAppClicksModule.forRoot()` / `forRootAsync()`, as a host writes them. */
export interface WhatsAppClicksModuleOptions {
  /** The Meta app secret: the key of every `X-Hub-Signature-256`. Required. */
  appSecret: string;
  /** The token the App Dashboard sends in the GET handshake (`hub.verify_token`). Required. */
  verifyToken: string;
  /**
   * Largest webhook body accepted, in bytes or as a string such as `'3mb'`; larger is 413.
   * Default: `'3mb'` (Meta's largest payloads).
   */
  bodyLimit?: number | string;
}

/** What shapes the module graph, so it is fixed when `forRoot`/`forRootAsync` is called. */
export interface WhatsAppClicksModuleExtras {
  /** Route of the webhook controller (GET handshake, POST deliveries). Default: `'webhooks/whatsapp'`. */
  webhookPath?: string;
  /** Name of the host's TypeORM data source the module stores into. Default: the default one. */
  dataSourceName?: string;
  /** Register the module globally. Default: `false`. */
  isGlobal?: boolean;
}

/** The options with every default applied, validated once at start-up. */
export interface WhatsAppClicksConfig {
  appSecret: string;
  verifyToken: string;
  bodyLimitBytes: number;
}

export const DEFAULT_WEBHOOK_PATH = 'webhooks/whatsapp';
export const DEFAULT_BODY_LIMIT = '3mb';

/** Thrown at start-up when the module's options cannot work. */
export class WhatsAppClicksConfigError extends Error {
  override readonly name = 'WhatsAppClicksConfigError';
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `1024`, `'512kb'`, `'3mb'` to bytes. */
export function parseByteSize(value: number | string): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value > 0) return value;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value);
    if (match) {
      const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[(match[2] ?? 'b').toLowerCase()]);
      if (bytes > 0) return bytes;
    }
  }
  throw new WhatsAppClicksConfigError(
    `bodyLimit ${JSON.stringify(value)} is not a positive size (bytes, or a string like '3mb')`,
  );
}

export function resolveConfig(options: WhatsAppClicksModuleOptions): WhatsAppClicksConfig {
  for (const key of ['appSecret', 'verifyToken'] as const) {
    if (typeof options?.[key] !== 'string' || options[key].length === 0) {
      throw new WhatsAppClicksConfigError(
        `WhatsAppClicksModule: option "${key}" is required and must be a non-empty string`,
      );
    }
  }
  return {
    appSecret: options.appSecret,
    verifyToken: options.verifyToken,
    bodyLimitBytes: parseByteSize(options.bodyLimit ?? DEFAULT_BODY_LIMIT),
  };
}
