import { CreateClickTables1763730000000 } from './1763730000000-create-click-tables.js';
import { CreateClickOutbox1763900000000 } from './1763900000000-create-click-outbox.js';
import { CreateClickRollups1764000000000 } from './1764000000000-create-click-rollups.js';
import { CreateDeliveryArchive1764200000000 } from './1764200000000-create-delivery-archive.js';
import { CreateTrackingEvents1764300000000 } from './1764300000000-create-tracking-events.js';
import { CreateClickConversions1764400000000 } from './1764400000000-create-click-conversions.js';
import { CreateClickReconciliation1764500000000 } from './1764500000000-create-click-reconciliation.js';
import { AddClickStreamOrder1764600000000 } from './1764600000000-add-click-stream-order.js';
import { CreateClickFunnelRollups1764700000000 } from './1764700000000-create-click-funnel-rollups.js';
import { AddClickRollupDeltas1764800000000 } from './1764800000000-add-click-rollup-deltas.js';
import { AddClickRollupsTimeOfDayIndex1764900000000 } from './1764900000000-add-click-rollups-time-of-day-index.js';
import { DropClickFunnelQueueClickIndex1765000000000 } from './1765000000000-drop-click-funnel-queue-click-index.js';

/** The module's migrations, oldest first: add them to the host's data source `migrations`. */
export const whatsAppClicksMigrations = [
  CreateClickTables1763730000000,
  CreateClickOutbox1763900000000,
  CreateClickRollups1764000000000,
  CreateDeliveryArchive1764200000000,
  CreateTrackingEvents1764300000000,
  CreateClickConversions1764400000000,
  CreateClickReconciliation1764500000000,
  AddClickStreamOrder1764600000000,
  CreateClickFunnelRollups1764700000000,
  AddClickRollupDeltas1764800000000,
  AddClickRollupsTimeOfDayIndex1764900000000,
  DropClickFunnelQueueClickIndex1765000000000,
];
