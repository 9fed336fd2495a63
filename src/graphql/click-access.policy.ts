import { Inject, Injectable } from '@nestjs/common';
import { WHATSAPP_CLICKS_CONFIG } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { clickError } from './graphql-errors.js';

/**
 * Applies the host's `authorize` hook to every read of an account: `true` lets it through,
 * `false` is FORBIDDEN, `'unauthenticated'` is UNAUTHENTICATED. Nothing is read before it says.
 */
@Injectable()
export class ClickAccessPolicy {
  constructor(@Inject(WHATSAPP_CLICKS_CONFIG) private readonly config: WhatsAppClicksConfig) {}

  /** Whether the caller may read the account; throws UNAUTHENTICATED for an unknown caller. */
  async mayRead(context: unknown, businessAccountId: string): Promise<boolean> {
    const authorize = this.config.authorize;
    if (!authorize) {
      throw clickError('FORBIDDEN', 'no authorize hook is configured for WhatsAppClicksModule');
    }
    const verdict = await authorize(context, businessAccountId);
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
