import { connect as tcpConnect } from 'node:net';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import amqp from 'amqplib';
import type { ForwardedClick } from '../../src/forward/click-sink.js';
import { NATS_STREAM, natsSubject } from '../../src/forward/nats-jetstream.sink.js';
import { RABBITMQ_EXCHANGE } from '../../src/forward/rabbitmq.sink.js';

/** The brokers every developer machine and CI runs. */
export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A message as the broker delivered it. */
export interface BrokerMessage {
  /** `Nats-Msg-Id` or the AMQP `messageId`. */
  id: string;
  /** The NATS subject or the AMQP routing key. */
  address: string;
  body: ForwardedClick;
  persistent?: boolean;
}

/**
 * Why the broker cannot be used here, or null. In CI (CI=true) a missing broker fails the run;
 * elsewhere its suites are skipped with a warning.
 */
export async function brokerProblem(kind: 'nats' | 'rabbitmq'): Promise<string | null> {
  const url = new URL(kind === 'nats' ? NATS_URL : AMQP_URL);
  const problem = await new Promise<string | null>((resolve) => {
    const socket = tcpConnect(Number(url.port), url.hostname);
    socket.setTimeout(2000, () => socket.destroy(new Error('timeout')));
    socket.once('connect', () => (socket.end(), resolve(null)));
    socket.once('error', (error) =>
      resolve(`${kind} at ${url.host} is not reachable: ${error.message}`),
    );
  });
  if (problem && process.env.CI === 'true')
    throw new Error(`${problem}. CI must run the broker suites.`);
  if (problem) console.warn(`\n!!! SKIPPING the ${kind} suites: ${problem}\n`);
  return problem;
}

/** Every message JetStream holds for `account`'s subject, oldest first. */
export async function natsMessages(url: string, account: string): Promise<BrokerMessage[]> {
  const nc = await connect({ servers: url });
  try {
    const js = jetstream(nc);
    const consumer = await js.consumers.get(NATS_STREAM, {
      filter_subjects: natsSubject(account),
    });
    const messages: BrokerMessage[] = [];
    for (;;) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: 1000 });
      let count = 0;
      for await (const message of batch) {
        count++;
        messages.push({
          id: message.headers?.get('Nats-Msg-Id') ?? '',
          address: message.subject,
          body: message.json<ForwardedClick>(),
        });
      }
      if (count === 0) return messages;
    }
  } finally {
    await nc.close();
  }
}

/** A queue bound to the clicks exchange for one account, collecting what arrives. */
export async function rabbitQueue(
  url: string,
  account: string,
): Promise<{ messages: BrokerMessage[]; close(): Promise<void> }> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.assertExchange(RABBITMQ_EXCHANGE, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, RABBITMQ_EXCHANGE, account);
  const messages: BrokerMessage[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      messages.push({
        id: String(message.properties.messageId),
        address: message.fields.routingKey,
        body: JSON.parse(message.content.toString()) as ForwardedClick,
        persistent: message.properties.deliveryMode === 2,
      });
    },
    { noAck: true },
  );
  return { messages, close: () => connection.close() };
}

/**
 * A nats-server of the test's own (JetStream on, its own store), to stop (SIGKILL: an outage)
 * and start again on the same port and store: the benchmarks' one.
 */
export { NatsProcess as OwnNatsServer } from '../../bench/support/nats-process.js';
export { freePort } from '../../bench/support/harness.js';
