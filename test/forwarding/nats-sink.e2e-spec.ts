// The JetStream sink on a nats-server of its own: a batch resolves only once every message is
// acknowledged, and a refusal of any one rejects it (the outbox keeps it and tries again).
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ForwardedClick } from '../../src/forward/click-sink.js';
import { NATS_STREAM, NatsJetStreamSink } from '../../src/forward/nats-jetstream.sink.js';
import { brokerProblem, natsMessages, OwnNatsServer } from '../support/brokers.js';

const problem = await brokerProblem('nats');

const click = (id: number, account = 'sink-a'): ForwardedClick => ({
  id: String(id),
  businessAccountId: account,
  phoneNumberId: '1065',
  displayPhoneNumber: null,
  actionType: 'marketing_messages_link_click',
  clickComponent: 'CTA',
  clickId: `c-${id}`,
  productId: null,
  trackingToken: null,
  occurredAt: '2026-12-01T00:00:00.000Z',
  receivedAt: '2026-12-01T00:00:01.000Z',
});

describe.skipIf(problem !== null)('NatsJetStreamSink', () => {
  let nats: OwnNatsServer;
  let sink: NatsJetStreamSink;

  beforeAll(async () => {
    nats = await OwnNatsServer.started();
    sink = new NatsJetStreamSink(nats.url);
  });
  afterAll(async () => {
    await sink?.close();
    await nats?.dispose();
  });

  it('resolves once JetStream has every message of batches sent at once', async () => {
    const batches = [0, 1, 2].map((b) =>
      Array.from({ length: 1500 }, (_, i) => click(b * 1500 + i + 1)),
    );
    await Promise.all(batches.map((batch) => sink.send(batch)));
    const stored = await natsMessages(nats.url, 'sink-a');
    expect(stored).toHaveLength(4500);
    expect(new Set(stored.map((m) => m.id)).size).toBe(4500);
    expect(stored.find((m) => m.id === '4500')!.body).toEqual(click(4500));
    // A redelivery (the same ids) is acknowledged as a duplicate, and not stored twice.
    await sink.send(batches[0]!.slice(0, 10));
    expect(await natsMessages(nats.url, 'sink-a')).toHaveLength(4500);
  });

  it("puts each click of a batch on its own account's subject, in runs of accounts or not", async () => {
    const accounts = ['mix-a', 'mix-a', 'mix-b', 'mix-b', 'mix-a', 'mix.c*', 'mix-b'];
    const clicks = accounts.map((account, i) => click(7001 + i, account));
    await sink.send(clicks);
    for (const account of new Set(accounts)) {
      const stored = await natsMessages(nats.url, account);
      expect(stored.map((m) => m.body)).toEqual(
        clicks.filter((c) => c.businessAccountId === account),
      );
    }
  });

  it('rejects a batch of which JetStream refuses any message, naming why', async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      // The stream takes no more messages: each new one is refused.
      const info = await jsm.streams.info(NATS_STREAM);
      await jsm.streams.update(NATS_STREAM, {
        ...info.config,
        max_msgs: info.state.messages,
        discard: 'new',
      });
      await expect(sink.send([click(9001), click(9002)])).rejects.toThrow(
        /JetStream refused a click: .*maximum messages/i,
      );
      await jsm.streams.update(NATS_STREAM, { ...info.config, max_msgs: -1 });
      await sink.send([click(9001), click(9002)]);
      expect(await natsMessages(nats.url, 'sink-a')).toHaveLength(4502);

      // No stream on the subjects any more: the broker's "no responders" is a refusal too.
      await jsm.streams.delete(NATS_STREAM);
      await expect(sink.send([click(9003)])).rejects.toThrow(/not JSON|no JetStream stream/);
    } finally {
      await nc.close();
    }
  });
});
