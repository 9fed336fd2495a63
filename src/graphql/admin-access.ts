import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { clickError } from './graphql-errors.js';

/** Lets only admins through (the `authorizeAdmin` option; nobody without it). */
export async function assertAdmin(config: WhatsAppClicksConfig, context: unknown): Promise<void> {
  const verdict = config.authorizeAdmin ? await config.authorizeAdmin(context) : false;
  if (verdict === 'unauthenticated') {
    throw clickError('UNAUTHENTICATED', 'missing or unknown credentials');
  }
  if (verdict !== true) throw clickError('FORBIDDEN', 'this operation is for admins only');
}
