import { Inject } from '@nestjs/common';
import { Args, Context, GraphQLISODateTime, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { type DataSource, MoreThan, MoreThanOrEqual } from 'typeorm';
import { PageInfo } from '../models/click-event-connection.model.js';
import {
  RejectedDeliveryPage,
  ReplayResultModel,
  toRejectedDeliveryModel,
} from '../models/rejected-delivery.model.js';
import { RejectedDeliveryReplay } from '../replay/rejected-replay.service.js';
import { RejectedDelivery } from '../storage/rejected-delivery.entity.js';
import {
  InjectWhatsAppClicksConfig,
  WHATSAPP_CLICKS_DATA_SOURCE,
} from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { assertAdmin } from './admin-access.js';
import { clickError } from './graphql-errors.js';

/** Payloads are up to 3 MB each: pages stay small. */
const MAX_PAGE = 50;

/** Admin operations (the `authorizeAdmin` option): what was rejected, and its replay. */
@Resolver()
export class RejectedDeliveriesResolver {
  constructor(
    @InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig,
    @Inject(WHATSAPP_CLICKS_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly replayer: RejectedDeliveryReplay,
  ) {}

  @Query(() => RejectedDeliveryPage, {
    description: 'Admin: rejected deliveries, oldest first (`after`: the endCursor of a page).',
    complexity: ({ args }) => 10 * clamp(args.first as number),
  })
  async rejectedDeliveries(
    @Context() context: unknown,
    @Args('first', { type: () => Int, defaultValue: 20 }) first: number,
    @Args('after', { type: () => String, nullable: true }) after?: string | null,
    @Args('since', { type: () => GraphQLISODateTime, nullable: true }) since?: Date | null,
  ): Promise<RejectedDeliveryPage> {
    await assertAdmin(this.config, context);
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) {
      throw clickError('BAD_USER_INPUT', `"first" must be from 1 to ${MAX_PAGE}, not ${first}`);
    }
    if (after != null && !/^\d{1,18}$/.test(after)) {
      throw clickError('BAD_USER_INPUT', `"after" is not a cursor of rejectedDeliveries`);
    }
    const rows = await this.dataSource.getRepository(RejectedDelivery).find({
      where: {
        ...(after != null ? { id: MoreThan(after) } : {}),
        ...(since ? { receivedAt: MoreThanOrEqual(since) } : {}),
      },
      order: { id: 'ASC' },
      take: first + 1,
    });
    const page = rows.slice(0, first);
    return Object.assign(new RejectedDeliveryPage(), {
      nodes: page.map(toRejectedDeliveryModel),
      pageInfo: Object.assign(new PageInfo(), {
        hasNextPage: rows.length > first,
        endCursor: page.at(-1)?.id ?? null,
      }),
    });
  }

  @Mutation(() => ReplayResultModel, {
    description:
      "Admin: runs rejected deliveries received in [since, until) (all without) through today's parser; what is now valid is stored, handed on and no longer rejected. Twice is once.",
  })
  async replayRejectedDeliveries(
    @Context() context: unknown,
    @Args('since', { type: () => GraphQLISODateTime, nullable: true }) since?: Date | null,
    @Args('until', { type: () => GraphQLISODateTime, nullable: true }) until?: Date | null,
    @Args('dryRun', { type: () => Boolean, defaultValue: false }) dryRun?: boolean,
  ): Promise<ReplayResultModel> {
    await assertAdmin(this.config, context);
    const result = await this.replayer.replay({
      since: since ?? undefined,
      until: until ?? undefined,
      dryRun,
    });
    return Object.assign(new ReplayResultModel(), result);
  }
}

function clamp(first: number): number {
  return Number.isInteger(first) && first >= 1 && first <= MAX_PAGE ? first : MAX_PAGE;
}
