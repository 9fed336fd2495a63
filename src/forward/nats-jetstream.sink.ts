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

/** A batch waiting for JetStream: its acknowledgements come on `<inbox>.<batch>`. */
interface Batch {
  awaited: number;
  resolve(): void;
  reject(error: Error): void;
}

interface Link {
  nc: NatsConnection;
  /** Acknowledgements arrive on `<inbox>.<batch>`. */
  inbox: string;
  headers: typeof import('@nats-io/transport-node').headers;
}

/**
 * Publishes to NATS JetStream: stream `WHATSAPP_CLICKS` on `whatsapp.clicks.>` (created when
 * missing), subject per account, `Nats-Msg-Id` = the click's id, so JetStream itself drops a
 * redelivery within its duplicate window. A batch is published in one go and done once JetStream
 * acknowledged every message: the acknowledgements come back on one inbox subscription, on a
 * subject per batch, and are counted (the client's `js.publish()` is a request each, with a timer
 * and two Error objects: half the CPU of forwarding, `bench/RESULTS.md`). Connects on first use
 * and reconnects for ever, so a broker that is down delays forwarding, never the webhooks.
 */
export class NatsJetStreamSink implements ClickSink {
  readonly name = 'nats';
  private connecting: Promise<Link> | null = null;
  private readonly waiting = new Map<string, Batch>();
  private sequence = 0;

  constructor(private readonly servers: string) {}

  async send(clicks: readonly ForwardedClick[]): Promise<void> {
    if (clicks.length === 0) return;
    const { nc, inbox, headers } = await this.connection();
    const token = String(this.sequence++);
    const reply = `${inbox}.${token}`;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.waiting.set(token, { awaited: clicks.length, resolve, reject });
        timer = setTimeout(
          () => reject(new Error(`JetStream did not acknowledge within ${ACK_TIMEOUT_MS} ms`)),
          ACK_TIMEOUT_MS,
        );
        const bodies = encodedBodies(clicks);
        // A batch's clicks come in runs of one account (a delivery's): its subject once a run.
        let account: string | undefined;
        let subject = '';
        for (let i = 0; i < clicks.length; i++) {
          const click = clicks[i]!;
          if (click.businessAccountId !== account) {
            account = click.businessAccountId;
            subject = natsSubject(account);
          }
          const header = headers();
          header.set('Nats-Msg-Id', click.id);
          nc.publish(subject, bodies(i), { reply, headers: header });
        }
      });
    } finally {
      clearTimeout(timer);
      this.waiting.delete(token);
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
        const batch = this.waiting.get(message.subject.slice(inbox.length + 1));
        if (!batch) return; // it timed out, or failed, meanwhile
        const refused = refusal(message.data);
        if (refused !== null) batch.reject(new Error(`JetStream refused a click: ${refused}`));
        else if (--batch.awaited === 0) batch.resolve();
      },
    });
    return { nc, inbox, headers };
  }
}

/**
 * The JSON bodies of a batch, encoded at once: one string, one buffer, a view per click (a
 * `TextEncoder.encode` per message was a fifth of the sink's CPU). Byte offsets are character
 * offsets while the text is ASCII (nearly always: Meta's ids and tokens); otherwise each body
 * is encoded by itself.
 */
export function encodedBodies(clicks: readonly ForwardedClick[]): (index: number) => Uint8Array {
  const texts = clicks.map((click) => JSON.stringify(click));
  const joined = texts.join('');
  const bytes = Buffer.from(joined, 'utf8');
  if (bytes.length !== joined.length) return (index) => Buffer.from(texts[index]!, 'utf8');
  const ends = new Uint32Array(texts.length);
  let end = 0;
  for (let i = 0; i < texts.length; i++) ends[i] = end += texts[i]!.length;
  return (index) => bytes.subarray(index === 0 ? 0 : ends[index - 1], ends[index]);
}

const decoder = new TextDecoder();
const PUB_ACK_START = new TextEncoder().encode('{"stream":');

/**
 * null for a PubAck (a duplicate too: JetStream has the message), else why it was refused. A
 * PubAck starts `{"stream":` and carries no error: it is not parsed (one per click).
 */
function refusal(data: Uint8Array): string | null {
  const text = startsWith(data, PUB_ACK_START) ? null : decoder.decode(data);
  if (text === null) return null;
  try {
    const reply = JSON.parse(text) as { stream?: string; error?: { description?: string } };
    if (reply.error) return reply.error.description ?? 'error';
    return reply.stream ? null : 'no stream in the acknowledgement';
  } catch {
    return 'an acknowledgement that is not JSON (no JetStream stream on the subject?)';
  }
}

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}
