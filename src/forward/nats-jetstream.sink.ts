import type { NatsConnection } from '@nats-io/transport-node';
import type { ClickSink, ForwardedClick } from './click-sink.js';

/** The stream and subjects of `../shared/CONTRACT.md` "Forwarding to other services". */
export const NATS_STREAM = 'WHATSAPP_CLICKS';
export const NATS_SUBJECT_PREFIX = 'whatsapp.clicks';

/** Longest wait for JetStream's acknowledgements of one batch. */
const ACK_TIMEOUT_MS = 5000;

/**
 * A subject token of the account: NATS gives `.`, `*`, `>` and whitespace a meaning in subjects,
 * so they are replaced (an account id from Meta is digits; this only guards odd input).
 */
export function natsSubject(businessAccountId: string): string {
  const token = businessAccountId.replace(/[.*>\s]/g, '_') || '_';
  return `${NATS_SUBJECT_PREFIX}.${token}`;
}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

interface Link {
  nc: NatsConnection;
  /** Acknowledgements arrive on `<inbox>.<token>`. */
  inbox: string;
  headers: typeof import('@nats-io/transport-node').headers;
}

/**
 * Publishes to NATS JetStream: stream `WHATSAPP_CLICKS` on `whatsapp.clicks.>` (created when
 * missing), subject per account, `Nats-Msg-Id` = the click's id, so JetStream itself drops a
 * redelivery within its duplicate window. A batch is published in one go and done once JetStream
 * acknowledged every message: the acknowledgements come back on one inbox subscription (the
 * client's `js.publish()` is a request each, with a timer and two Error objects: half the CPU of
 * forwarding, `bench/RESULTS.md`). Connects on first use and reconnects for ever, so a broker that
 * is down delays forwarding, never the webhooks.
 */
export class NatsJetStreamSink implements ClickSink {
  readonly name = 'nats';
  private connecting: Promise<Link> | null = null;
  private readonly waiting = new Map<string, Waiter>();
  private sequence = 0;

  constructor(private readonly servers: string) {}

  async send(clicks: readonly ForwardedClick[]): Promise<void> {
    const { nc, inbox, headers } = await this.connection();
    const tokens: string[] = [];
    const acknowledged = clicks.map(
      (click) =>
        new Promise<void>((resolve, reject) => {
          const token = String(this.sequence++);
          tokens.push(token);
          this.waiting.set(token, { resolve, reject });
          const header = headers();
          header.set('Nats-Msg-Id', click.id);
          nc.publish(natsSubject(click.businessAccountId), JSON.stringify(click), {
            reply: `${inbox}.${token}`,
            headers: header,
          });
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(acknowledged),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`JetStream did not acknowledge within ${ACK_TIMEOUT_MS} ms`)),
            ACK_TIMEOUT_MS,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
      for (const token of tokens) this.waiting.delete(token);
    }
  }

  async close(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = null;
    const link = await connecting?.catch(() => null);
    await link?.nc.drain().catch(() => undefined);
  }

  private async connection(): Promise<Link> {
    this.connecting ??= this.connect().catch((error: unknown) => {
      this.connecting = null; // the next send tries again
      throw error;
    });
    return this.connecting;
  }

  private async connect(): Promise<Link> {
    const { connect, createInbox, headers } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({
      servers: this.servers,
      name: 'nestjs-whatsapp-clicks',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: ACK_TIMEOUT_MS,
      noAsyncTraces: true,
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
    const inbox = createInbox();
    nc.subscribe(`${inbox}.*`, {
      callback: (error, message) => {
        if (error) return;
        const waiter = this.waiting.get(message.subject.slice(inbox.length + 1));
        if (!waiter) return; // its batch timed out meanwhile
        const ack = parseAck(message.data);
        if (ack === null) waiter.resolve();
        else waiter.reject(new Error(`JetStream refused a click: ${ack}`));
      },
    });
    return { nc, inbox, headers };
  }
}

/** null for a PubAck (a duplicate too: JetStream has the message), else why it was refused. */
function parseAck(data: Uint8Array): string | null {
  try {
    const reply = JSON.parse(new TextDecoder().decode(data)) as {
      stream?: string;
      error?: { description?: string };
    };
    if (reply.error) return reply.error.description ?? 'error';
    return reply.stream ? null : 'no stream in the acknowledgement';
  } catch {
    return 'an acknowledgement that is not JSON (no JetStream stream on the subject?)';
  }
}
