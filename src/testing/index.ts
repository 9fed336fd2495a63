/**
 * Helpers for hosts' own tests and scripts: Meta-shaped payloads and their signatures.
 * Imported from `nestjs-whatsapp-clicks/testing`, never from the main entry.
 */
export { sampleClickAction, sampleClickDelivery } from './click-payloads.js';
export type { SampleActionInput, SampleDeliveryInput } from './click-payloads.js';
export { signatureFor as signWebhookBody, SIGNATURE_HEADER } from '../webhook/webhook-signature.js';
