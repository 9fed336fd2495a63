import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { ClickSink, ForwardedClick } from './click-sink.js';

/** The exchange of `../shared/CONTRACT.md` "Forwarding to other services". */
export const RABBITMQ_EXCHANGE = 'whatsapp.clicks';

/** Longest wait for the broker's confirms of one batch. */
const CONFIRM_TIMEOUT_MS = 5000;

interface Link {
  connection: ChannelModel;
  channel: ConfirmChannel;
}

/**
 * Publishes to RabbitMQ: durable topic exchange `whatsapp.clicks`, routing key = the account,
 * persistent messages, `messageId` = the click's id; a batch is done once the broker has
 * confirmed every message (publisher confirms). Connects on first use and again after the
 * connection is lost, so a broker that is down delays forwarding, never the webhooks.
 */
export class RabbitMqSink implements ClickSink {
  readonly name = 'rabbitmq';
  private linking: Promise<Link> | null = null;

  constructor(private readonly url: string) {}

  async send(clicks: readonly ForwardedClick[]): Promise<void> {
    const { channel } = await this.link();
    for (const click of clicks) {
      channel.publish(
        RABBITMQ_EXCHANGE,
        click.businessAccountId,
        Buffer.from(JSON.stringify(click)),
        {
          persistent: true,
          messageId: click.id,
          contentType: 'application/json',
        },
      );
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        channel.waitForConfirms(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`RabbitMQ did not confirm within ${CONFIRM_TIMEOUT_MS} ms`)),
            CONFIRM_TIMEOUT_MS,
          );
        }),
      ]);
    } catch (error) {
      this.forget(); // a channel that failed a batch is not trusted with the next one
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const linking = this.linking;
    this.linking = null;
    const link = await linking?.catch(() => null);
    await link?.connection.close().catch(() => undefined);
  }

  private async link(): Promise<Link> {
    this.linking ??= this.connect().catch((error: unknown) => {
      this.linking = null;
      throw error;
    });
    return this.linking;
  }

  private async connect(): Promise<Link> {
    const amqp = await import('amqplib');
    const connection = await amqp.connect(this.url, { timeout: CONFIRM_TIMEOUT_MS });
    // A lost connection is noticed here, and the next batch connects again.
    connection.on('error', () => undefined);
    connection.on('close', () => this.forget(connection));
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined);
      await channel.assertExchange(RABBITMQ_EXCHANGE, 'topic', { durable: true });
      return { connection, channel };
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  private forget(connection?: ChannelModel): void {
    const linking = this.linking;
    if (!linking) return;
    void linking.then(
      (link) => {
        if (connection && link.connection !== connection) return;
        if (this.linking === linking) this.linking = null;
        if (!connection) void link.connection.close().catch(() => undefined);
      },
      () => undefined,
    );
  }
}
