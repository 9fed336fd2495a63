import { Injectable } from '@nestjs/common';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import {
  type ClickAuthorizer,
  type WhatsAppClicksConfig,
  WhatsAppClicksConfigError,
} from '../whatsapp-clicks.options.js';
import { clickError } from './graphql-errors.js';

/**
 * Applies the host's `authorize` hook to every read of an account: `true` lets it through,
 * `false` is FORBIDDEN, `'unauthenticated'` is UNAUTHENTICATED. Nothing is read before it says.
 */
@Injectable()
export class ClickAccessPolicy {
  private readonly authorize: ClickAuthorizer;

  constructor(@InjectWhatsAppClicksConfig() config: WhatsAppClicksConfig) {
    if (!config.authorize) {
      throw new WhatsAppClicksConfigError(
        'WhatsAppClicksModule: `graphql: true` needs an `authorize` option ' +
          '(`() => true` opens every account to every caller)',
      );
    }
    this.authorize = config.authorize;
  }

  /** Whether the caller may read the account; throws UNAUTHENTICATED for an unknown caller. */
  async mayRead(context: unknown, businessAccountId: string): Promise<boolean> {
    const verdict = await this.authorize(context, businessAccountId);
    if (verdict === 'unauthenticated') {
      throw clickError('UNAUTHENTICATED', 'missing or unknown credentials');
    }
    return verdict === true;
  }

  /** Throws UNAUTHENTICATED or FORBIDDEN unless the caller may read the account. */
  async assertMayRead(context: unknown, businessAccountId: string): Promise<void> {
    if (!(await this.mayRead(context, businessAccountId))) {
      throw clickError('FORBIDDEN', `not allowed to read business account ${businessAccountId}`);
    }
  }
}
