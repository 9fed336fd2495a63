import { requirePackages } from '../optional/require-packages.js';
import { WhatsAppClicksConfigError } from '../whatsapp-clicks.options.js';
import type { ClickSink } from './click-sink.js';

/** The broker client packages each URL scheme needs (optional peers, loaded only when used). */
const PACKAGES = {
  nats: ['@nats-io/transport-node', '@nats-io/jetstream'],
  amqp: ['amqplib'],
} as const;

/**
 * The sink of a `forward` URL: `nats://host:port` (JetStream) or `amqp://user:pass@host:port`
 * (`amqps://` too). Fails at start-up, naming the packages to install, when the client is absent.
 */
export async function sinkForUrl(url: string): Promise<ClickSink> {
  const scheme = /^([a-z]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'nats') {
    await requirePackages(`forward: '${scheme}://…'`, PACKAGES.nats);
    const { NatsJetStreamSink } = await import('./nats-jetstream.sink.js');
    return new NatsJetStreamSink(url);
  }
  if (scheme === 'amqp' || scheme === 'amqps') {
    await requirePackages(`forward: '${scheme}://…'`, PACKAGES.amqp);
    const { RabbitMqSink } = await import('./rabbitmq.sink.js');
    return new RabbitMqSink(url);
  }
  throw new WhatsAppClicksConfigError(
    `WhatsAppClicksModule: forward must be a nats:// or amqp:// URL, or a ClickSink; got "${url.replace(/\/\/[^@/]*@/, '//…@')}"`,
  );
}
