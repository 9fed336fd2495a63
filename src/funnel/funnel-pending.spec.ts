// On both databases: which rows of the states a funnel batch read still wait in the queue.
// Counting a batch leaves those out (they count with their own batch), so an answer too small
// counts a row twice and one too large never counts it.
import 'reflect-metadata';
import type { DataSource, EntityManager } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../../test/support/databases.js';
import { migratedDataSource } from '../../test/support/migrated-data-source.js';
import { parseClickPayload } from '../payload/click-payload.parser.js';
import { sampleClickAction, sampleClickDelivery } from '../testing/click-payloads.js';
import { ClickEventRepository } from '../storage/click-event.repository.js';
import { sqliteHandle } from '../storage/sqlite-writer.js';
import { FUNNEL_QUEUE_TABLE, type FunnelState } from './funnel-rollup-rows.js';
import { ENQUEUE, type FunnelKeys, queuedKey } from './funnel-state.js';
import { postgresFunnelStore } from './postgres-funnel.store.js';
import { SqliteFunnelStore } from './sqlite-funnel.store.js';

const targets = await databaseTargets();

describe.each(targets)('funnel stores: pending rows on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let dataSource: DataSource;
    let store: {
      load(keys: FunnelKeys): Promise<Map<string, FunnelState>>;
      pending(states: Map<string, FunnelState>): Promise<Set<string>>;
    };
    const p = (n: number) => (target.kind === 'postgres' ? `$${n}` : '?');

    beforeAll(async () => {
      db = await target.create();
      dataSource = await migratedDataSource(db);
      if (target.kind === 'postgres') {
        const manager: EntityManager = dataSource.manager;
        store = {
          load: (keys) => postgresFunnelStore.load(manager, keys),
          pending: (states) => postgresFunnelStore.pending(manager, states),
        };
      } else {
        const sqlite = new SqliteFunnelStore(sqliteHandle(dataSource));
        store = {
          load: async (keys) => sqlite.load(keys),
          pending: async (states) => sqlite.pending(states),
        };
      }
    });
    afterAll(async () => {
      await dataSource?.destroy();
      await db?.dispose();
    });

    async function conversion(clickId: string): Promise<string> {
      const [row] = await dataSource.query<{ id: string | number }[]>(
        `INSERT INTO "click_conversions" ("click_id", "event", "occurred_at", "received_at", "dedupe_key", "source") ` +
          `VALUES (${p(1)}, 'purchase', 0, 0, ${p(2)}, 'test') RETURNING "id"`,
        [clickId, `purchase:${clickId}`],
      );
      await dataSource.query(`${ENQUEUE} VALUES ('c', ${p(1)}, NULL, ${p(2)}, 0)`, [
        row!.id,
        clickId,
      ]);
      return String(row!.id);
    }

    it('names the rows of the states that wait, and only those', async () => {
      const repository = new ClickEventRepository(dataSource, () => []);
      const delivery = parseClickPayload(
        sampleClickDelivery({
          actions: [sampleClickAction({ click_id: 'x' }), sampleClickAction({ click_id: 'y' })],
        }),
      );
      const [x] = await repository.storeDelivery(delivery.actions, [], new Date());
      const bought = await conversion('x');
      await conversion('y');
      const states = await store.load({ pairs: [[x!.businessAccountId, 'x']], clickIds: ['x'] });
      expect([...states.keys()]).toEqual(['x']);
      // Both rows of x wait; y's are queued too, but in no state read.
      expect(await store.pending(states)).toEqual(
        new Set([queuedKey('k', x!.id), queuedKey('c', bought)]),
      );
      // The link click counted (out of the queue): only the conversion waits.
      await dataSource.query(
        `DELETE FROM "${FUNNEL_QUEUE_TABLE}" WHERE "kind" = 'k' AND "row_id" = ${p(1)}`,
        [x!.id],
      );
      expect(await store.pending(states)).toEqual(new Set([queuedKey('c', bought)]));
      expect(await store.pending(new Map())).toEqual(new Set());
    });
  });
});
