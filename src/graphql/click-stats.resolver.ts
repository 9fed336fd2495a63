import { Inject, UsePipes } from '@nestjs/common';
import {
  Args,
  type ComplexityEstimatorArgs,
  Context,
  Int,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { ClickComponent } from '../models/click-event.model.js';
import { ClickStats, StatBucket, TimeBucket } from '../models/click-stats.model.js';
import { byCountThenKey } from '../stats/count-order.js';
import {
  ClickStatsService,
  MAX_TIME_BUCKETS,
  TooManyBucketsError,
} from '../stats/click-stats.service.js';
import { ClickAccessPolicy } from './click-access.policy.js';
import {
  AccountArgs,
  ByProductArgs,
  listCost,
  MAX_PRODUCT_BUCKETS,
  TimeseriesArgs,
} from './click-api.args.js';
import { toCriteria } from './criteria.js';
import { clickError } from './graphql-errors.js';
import { GraphQLInputPipe } from './graphql-input.pipe.js';

/** Breakdown keys of the components as the enum names them; unknown values as Meta sent them. */
const COMPONENT_KEYS: Record<string, string> = {
  [ClickComponent.CTA]: 'CTA',
  [ClickComponent.BODY]: 'BODY',
};

/** Maps `ClickStatsService` answers to the schema; the statistics themselves live there. */
@Resolver(() => ClickStats)
@UsePipes(GraphQLInputPipe)
export class ClickStatsResolver {
  constructor(
    @Inject(ClickStatsService) private readonly stats: ClickStatsService,
    private readonly access: ClickAccessPolicy,
  ) {}

  @Query(() => ClickStats, {
    complexity: ({ childComplexity }: ComplexityEstimatorArgs) => 20 + childComplexity,
  })
  async clickStats(
    @Args() { businessAccountId, filter }: AccountArgs,
    @Context() context: unknown,
  ): Promise<ClickStats> {
    await this.access.assertMayRead(context, businessAccountId);
    const stats = new ClickStats();
    stats.criteria = toCriteria(businessAccountId, filter);
    return stats;
  }

  @ResolveField(() => Int, { complexity: 10 })
  total(@Parent() stats: ClickStats): Promise<number> {
    return this.stats.total(stats.criteria);
  }

  @ResolveField(() => [StatBucket], { complexity: 20 })
  async byComponent(@Parent() stats: ClickStats): Promise<StatBucket[]> {
    const buckets = await this.stats.breakdown(stats.criteria, 'click_component');
    return buckets
      .map(({ key, count }) => ({ key: key === null ? null : (COMPONENT_KEYS[key] ?? key), count }))
      .sort(byCountThenKey);
  }

  @ResolveField(() => [StatBucket], { complexity: 20 })
  byActionType(@Parent() stats: ClickStats): Promise<StatBucket[]> {
    return this.stats.breakdown(stats.criteria, 'action_type');
  }

  @ResolveField(() => [StatBucket], { complexity: 20 })
  byPhoneNumber(@Parent() stats: ClickStats): Promise<StatBucket[]> {
    return this.stats.breakdown(stats.criteria, 'phone_number_id');
  }

  @ResolveField(() => [StatBucket], {
    description: 'Highest count first.',
    complexity: ({ args }: ComplexityEstimatorArgs) =>
      20 + listCost(args.limit, 10, MAX_PRODUCT_BUCKETS),
  })
  byProduct(@Parent() stats: ClickStats, @Args() { limit }: ByProductArgs): Promise<StatBucket[]> {
    return this.stats.breakdown(stats.criteria, 'product_id', limit);
  }

  /**
   * Buckets oldest first, starting on interval boundaries in `timezone`; with both `from` and
   * `to` in the filter, every bucket between them, empty ones with count 0.
   */
  // As every list: 1 per 10 items it may return, here up to MAX_TIME_BUCKETS.
  @ResolveField(() => [TimeBucket], { complexity: 50 + MAX_TIME_BUCKETS / 10 })
  async timeseries(
    @Parent() stats: ClickStats,
    @Args() { interval, timezone }: TimeseriesArgs,
  ): Promise<TimeBucket[]> {
    try {
      const buckets = await this.stats.timeseries(stats.criteria, interval, timezone);
      return buckets.map(({ start, count }) => ({ start: new Date(start), count }));
    } catch (error) {
      if (error instanceof TooManyBucketsError) throw clickError('BAD_USER_INPUT', error.message);
      throw error;
    }
  }
}
