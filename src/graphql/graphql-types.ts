// The GraphQL description of the models in ../models. The models are plain classes, exported
// by the main entry; importing this file (the GraphQL part does, and so does the
// `nestjs-whatsapp-clicks/graphql` entry) gives them their code-first schema. Kept apart so that
// the main entry never loads @nestjs/graphql for hosts that do not turn GraphQL on.
import {
  Field,
  type FieldOptions,
  Float,
  GraphQLISODateTime,
  ID,
  InputType,
  Int,
  ObjectType,
  registerEnumType,
  type ReturnTypeFunc,
} from '@nestjs/graphql';
import {
  ClickEventConnection,
  ClickEventEdge,
  PageInfo,
} from '../models/click-event-connection.model.js';
import { ArchiveReplayResultModel } from '../models/archive-replay-result.model.js';
import { ClickEventFilter } from '../models/click-event-filter.input.js';
import { ReconciliationDayModel } from '../models/reconciliation-day.model.js';
import {
  ClickAccountModel,
  ClickFunnelModel,
  ConversionModel,
  FunnelGroupModel,
  FunnelStepModel,
  FunnelValueModel,
} from '../models/click-funnel.model.js';
import { ClickComponent, ClickEventModel } from '../models/click-event.model.js';
import { ClickStats, StatBucket, StatsInterval, TimeBucket } from '../models/click-stats.model.js';
import {
  RejectedDeliveryModel,
  RejectedDeliveryPage,
  ReplayResultModel,
} from '../models/rejected-delivery.model.js';

type Fields = Record<string, [ReturnTypeFunc, FieldOptions?]>;

/** What decorators would do on the class: each field, then the type itself. */
function describeType(
  target: abstract new () => object,
  type: ClassDecorator,
  fields: Fields,
): void {
  for (const [name, [returns, options = {}]] of Object.entries(fields)) {
    Field(returns, options)(target.prototype as object, name);
  }
  type(target);
}

const nullable = { nullable: true };

registerEnumType(ClickComponent, { name: 'ClickComponent' });
registerEnumType(StatsInterval, { name: 'StatsInterval' });

describeType(ClickEventModel, ObjectType('ClickEvent'), {
  id: [() => ID],
  businessAccountId: [() => ID],
  phoneNumberId: [() => String],
  displayPhoneNumber: [() => String, nullable],
  actionType: [() => String],
  clickComponent: [() => ClickComponent, nullable],
  clickId: [() => String, nullable],
  productId: [() => String, nullable],
  trackingToken: [() => String, nullable],
  occurredAt: [() => GraphQLISODateTime, { description: "From the action's timestamp." }],
  receivedAt: [() => GraphQLISODateTime],
  cursor: [
    () => String,
    {
      description:
        'Where this click stands: `after` for clickEvents, and for clickEventReceived to resume after it.',
    },
  ],
});

describeType(PageInfo, ObjectType('PageInfo'), {
  hasNextPage: [() => Boolean],
  endCursor: [() => String, nullable],
});

describeType(ClickEventEdge, ObjectType('ClickEventEdge'), {
  cursor: [() => String],
  node: [() => ClickEventModel],
});

describeType(ClickEventConnection, ObjectType('ClickEventConnection'), {
  edges: [() => [ClickEventEdge]],
  pageInfo: [() => PageInfo],
  totalCount: [
    () => Int,
    { description: 'The size of the whole filtered set, whatever `after` is.' },
  ],
});

describeType(StatBucket, ObjectType('StatBucket'), {
  key: [() => String, { nullable: true, description: 'null: the field was absent' }],
  count: [() => Int],
});

describeType(TimeBucket, ObjectType('TimeBucket'), {
  start: [() => GraphQLISODateTime],
  count: [() => Int],
});

// Every field of ClickStats is a resolved field (click-stats.resolver.ts).
describeType(ClickStats, ObjectType('ClickStats'), {});

describeType(ClickEventFilter, InputType('ClickEventFilter'), {
  from: [() => GraphQLISODateTime, { nullable: true, description: 'occurredAt >= from' }],
  to: [() => GraphQLISODateTime, { nullable: true, description: 'occurredAt < to' }],
  clickComponent: [() => ClickComponent, nullable],
  productId: [() => String, nullable],
  phoneNumberId: [() => String, nullable],
  actionType: [() => String, nullable],
  clickId: [
    () => String,
    { nullable: true, description: 'Landing-page attribution: the click_id from the URL.' },
  ],
});

describeType(RejectedDeliveryModel, ObjectType('RejectedDelivery'), {
  id: [() => ID],
  receivedAt: [() => GraphQLISODateTime],
  kind: [() => String, { description: '`body` (not JSON) or `action`' }],
  businessAccountId: [() => ID, nullable],
  path: [() => String, { nullable: true, description: 'Where in the envelope; null for a body' }],
  reason: [() => String],
  payload: [() => String],
  payloadEncoding: [() => String, { description: '`utf8` or `base64`' }],
});

describeType(RejectedDeliveryPage, ObjectType('RejectedDeliveryPage'), {
  nodes: [() => [RejectedDeliveryModel]],
  pageInfo: [() => PageInfo],
});

describeType(ReplayResultModel, ObjectType('ReplayResult'), {
  examined: [() => Int],
  replayed: [() => Int, { description: 'Now readable: their clicks stored, their rows gone.' }],
  stored: [() => Int, { description: 'New clicks (with dryRun: those it would store).' }],
  duplicates: [() => Int],
  stillRejected: [() => Int],
  dryRun: [() => Boolean],
});

describeType(ArchiveReplayResultModel, ObjectType('ArchiveReplayResult'), {
  examined: [() => Int, { description: 'Archived deliveries read.' }],
  stored: [() => Int, { description: 'New clicks (with dryRun: those it would store).' }],
  duplicates: [() => Int, { description: 'Valid actions already stored.' }],
  rejected: [() => Int, { description: "Actions today's parser rejects (not kept again)." }],
  refused: [() => Int, { description: "Deliveries today's parser refuses whole." }],
  trackingEvents: [() => Int, { description: 'Tracking events read (sent...).' }],
  dryRun: [() => Boolean],
});

describeType(FunnelValueModel, ObjectType('FunnelValue'), {
  currency: [() => String, { nullable: true, description: 'null: reported without one' }],
  sum: [() => Float],
  count: [() => Int, { description: 'Conversions with a value in this currency.' }],
});

describeType(FunnelStepModel, ObjectType('FunnelStep'), {
  name: [() => String],
  count: [() => Int],
  rate: [
    () => Float,
    { nullable: true, description: "count / the step before's count; null for the first" },
  ],
  values: [() => [FunnelValueModel], { description: 'Conversion values, per currency.' }],
});

describeType(FunnelGroupModel, ObjectType('FunnelGroup'), {
  key: [() => String, { nullable: true, description: 'null: clicks without the field' }],
  steps: [() => [FunnelStepModel], { description: 'Every step but sent.' }],
});

// Every field of ClickFunnel is a resolved field (click-funnel.resolver.ts).
describeType(ClickFunnelModel, ObjectType('ClickFunnel'), {});

describeType(ClickAccountModel, ObjectType('ClickAccount'), {
  businessAccountId: [() => ID],
  total: [() => Int, { description: 'Every stored action of the account.' }],
  lastClickAt: [() => GraphQLISODateTime, { nullable: true }],
});

describeType(ConversionModel, ObjectType('Conversion'), {
  event: [() => String],
  occurredAt: [() => GraphQLISODateTime],
  value: [() => Float, nullable],
  currency: [() => String, nullable],
  externalId: [() => String, nullable],
  source: [() => String, { description: '`beacon` (a browser) or `server`' }],
});

describeType(ReconciliationDayModel, ObjectType('ReconciliationDay'), {
  day: [() => GraphQLISODateTime, { description: 'Midnight UTC' }],
  metaClicks: [() => Int, { description: "Meta's CTA clicks (template_analytics)" }],
  storedClicks: [() => Int, { description: 'CTA clicks stored' }],
  drift: [() => Int, { description: 'metaClicks - storedClicks' }],
  settled: [() => Boolean, { description: "Meta's count is final (48 h after the day)" }],
  checkedAt: [() => GraphQLISODateTime],
});

export {
  ArchiveReplayResultModel,
  ClickComponent,
  ClickEventConnection,
  ClickEventEdge,
  ClickEventFilter,
  ClickEventModel,
  ClickStats,
  PageInfo,
  RejectedDeliveryModel,
  RejectedDeliveryPage,
  ReplayResultModel,
  StatBucket,
  StatsInterval,
  TimeBucket,
};
