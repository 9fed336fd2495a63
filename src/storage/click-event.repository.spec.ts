// On both databases: a delivery's actions are written in key order, yet what storeDelivery returns
// is in the delivery's order, and an action the delivery repeats is stored once, as its first.
import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../../test/support/databases.js';
import { migratedDataSource } from '../../test/support/migrated-data-source.js';
import { parseClickPayload } from '../payload/click-payload.parser.js';
import { sampleClickAction, sampleClickDelivery } from '../testing/click-payloads.js';
import { ClickEvent } from './click-event.entity.js';
import { ClickEventRepository } from './click-event.repository.js';

const targets = await databaseTargets();

describe.each(targets)('ClickEventRepository.storeDelivery on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let dataSource: DataSource;
    let repository: ClickEventRepository;

    beforeAll(async () => {
      db = await target.create();
      dataSource = await migratedDataSource(db);
      repository = new ClickEventRepository(dataSource, () => []);
    });
    afterAll(async () => {
      await dataSource?.destroy();
      await db?.dispose();
    });

    const delivery = (actions: ReturnType<typeof sampleClickAction>[]) =>
      parseClickPayload(sampleClickDelivery({ actions })).actions;

    it('returns the new clicks in the order of the delivery, whatever their keys', async () => {
      const actions = delivery(
        ['zz', 'aa', 'mm', 'bb'].map((clickId) => sampleClickAction({ click_id: clickId })),
      );
      const stored = await repository.storeDelivery(actions, [], new Date());
      expect(stored.map((click) => click.clickId)).toEqual(['zz', 'aa', 'mm', 'bb']);
      const rows = await dataSource.getRepository(ClickEvent).find();
      for (const click of stored) {
        expect(rows.find((row) => row.id === click.id)?.clickId).toBe(click.clickId);
      }
    });

    it('stores an action the delivery repeats once, as its first, and the rest around it', async () => {
      const actions = delivery([
        sampleClickAction({ click_id: 'twice', product_id: 'first' }),
        sampleClickAction({ click_id: 'once' }),
        sampleClickAction({ click_id: 'twice', product_id: 'second' }),
      ]);
      const stored = await repository.storeDelivery(actions, [], new Date());
      expect(stored.map((click) => [click.clickId, click.productId])).toEqual([
        ['twice', 'first'],
        ['once', actions[1]!.productId],
      ]);
      const twice = await dataSource.getRepository(ClickEvent).findBy({ clickId: 'twice' });
      expect(twice.map((row) => [row.id, row.productId])).toEqual([[stored[0]!.id, 'first']]);
      // Meta's retry of the whole delivery: nothing new.
      expect(await repository.storeDelivery(actions, [], new Date())).toEqual([]);
    });
  });
});
