import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../../test/support/databases.js';
import { migratedDataSource } from '../../test/support/migrated-data-source.js';
import { parseClickPayload } from '../payload/click-payload.parser.js';
import { sampleClickAction, sampleClickDelivery } from '../testing/click-payloads.js';
import { ClickEvent } from './click-event.entity.js';
import { ClickEventRepository } from './click-event.repository.js';
import { clicksById } from './click-reads.js';

const targets = await databaseTargets();

describe.each(targets)('clicksById on $kind', (target) => {
  describe.skipIf(target.unavailable !== null)('', () => {
    let db: TestDatabase;
    let dataSource: DataSource;

    beforeAll(async () => {
      db = await target.create();
      dataSource = await migratedDataSource(db);
    });
    afterAll(async () => {
      await dataSource?.destroy();
      await db?.dispose();
    });

    it('reads the stored clicks as TypeORM would, oldest id first, unknown ids left out', async () => {
      const { actions } = parseClickPayload(
        sampleClickDelivery({
          actions: [
            sampleClickAction({ click_id: 'a', click_component: 'cta' }),
            // Nulls where Meta sends nothing, and fields this version does not know (`extra`).
            { ...sampleClickAction({ click_id: 'b' }), surprise: { nested: [1, 'two'] } },
            sampleClickAction({ click_id: 'c', product_id: undefined, tracking_token: undefined }),
          ],
        }),
      );
      const stored = await new ClickEventRepository(dataSource, () => []).storeDelivery(
        actions,
        [],
        new Date(1_764_547_200_123),
      );
      expect(stored).toHaveLength(3);
      const ids = stored.map((click) => click.id);
      const read = await clicksById(dataSource)([...ids].reverse().concat('999999'));
      const typeorm = await dataSource.getRepository(ClickEvent).find({ order: { id: 'ASC' } });
      expect(read).toEqual(typeorm);
      expect(read.map((click) => click.id)).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
      expect(read.find((click) => click.clickId === 'b')!.extra).not.toBeNull();
      expect(await clicksById(dataSource)([])).toEqual([]);
    });
  });
});
