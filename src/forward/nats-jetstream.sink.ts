import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ClickSink, ForwardedClick } from './click-sink.js';

/** The stream and subjects of `../shared/CONTRACT.md` "Forwarding to other services". */
export const NATS_STREAM = 'WHATSAPP_CLICKS';
export const NATS_SUBJECT_PREFIX = 'whatsapp.clicks';

/** Longest wait for JetStream's acknowledgement of one message. */
const ACK_TIMEOUT_MS = 5000;

/**
 * A subject token of the account: NATS gives `.`, `*`, `>` and whitespace a meaning in subjects,
 * so they are replaced (an account id from Meta is digits; this only guards odd input).
 */
export function natsSubject(businessAccountId: string): string {
  const token = businessAccountId.replace(/[.*>\s]/g, '_') || '_';
  return `${NATS_SUBJECT_PREFIX}.${token}`;
}

/**
 * Publishes to NATS JetStream: stream `WHATSAPP_CLICKS` on `whatsapp.clicks.>` (created when
 * missing), subject per account, `Nats-Msg-Id` = the click's id, so JetStream itself drops a
 * redelivery within its duplicate window. Connects on first use and reconnects for ever, so a
 * broker that is down at start-up delays forwarding, never the webhooks.
 */
export class NatsJetStreamSink implements ClickSink {
  readonly name = 'nats';
  private connecting: Promise<{ nc: NatsConnection; js: JetStreamClient }> | null = null;

  constructor(private readonly servers: string) {}

  async send(clicks: readonly ForwardedClick[]): Promise<void> {
    const { js } = await this.connection();
    const encoder = new TextEncoder();
    await Promise.all(
      clicks.map((click) =>
        js.publish(natsSubject(click.businessAccountId), encoder.encode(JSON.stringify(click)), {
          msgID: click.id,
          timeout: ACK_TIMEOUT_MS,
        }),
      ),
    );
  }

  async close(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = null;
    const connection = await connecting?.catch(() => null);
    await connection?.nc.drain().catch(() => undefined);
  }

  private async connection(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    this.connecting ??= this.connect().catch((error: unknown) => {
      this.connecting = null; // the next send tries again
      throw error;
    });
    return this.connecting;
  }

  private async connect(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstream, jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({
      servers: this.servers,
      name: 'nestjs-whatsapp-clicks',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: ACK_TIMEOUT_MS,
    });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.info(NATS_STREAM).catch(async (error: unknown) => {
        if (!/stream not found/i.test(String(error))) throw error;
        await jsm.streams.add({ name: NATS_STREAM, subjects: [`${NATS_SUBJECT_PREFIX}.>`] });
      });
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw error;
    }
    return { nc, js: jetstream(nc) };
  }
}
