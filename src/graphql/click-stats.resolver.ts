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
import { ClickStats, StatBucket, StatsInterval, TimeBucket } from '../models/click-stats.model.js';
import {
  bucketKeySql,
  bucketStartsBetween,
  dayStart,
  offsetSegments,
} from '../stats/time-buckets.js';
import { ClickEventQueries, type CountBucket } from '../storage/click-event.queries.js';
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

/**
 * Most buckets one timeseries may return: 3.5 days of minutes, 208 days of hours, 13 years of
 * days. Each bucket is an object GraphQL completes and serialises in one go, so this bounds how
 * long one field holds the event loop (and webhooks with it).
 */
export const MAX_TIME_BUCKETS = 5_000;

/** Breakdown keys of the components as the enum names them; unknown values as Meta sent them. */
const COMPONENT_KEYS: Record<string, string> = {
  [ClickComponent.CTA]: 'CTA',
  [ClickComponent.BODY]: 'BODY',
};

@Resolver(() => ClickStats)
@UsePipes(GraphQLInputPipe)
export class ClickStatsResolver {
  constructor(
    @Inject(ClickEventQueries) private readonly queries: ClickEventQueries,
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
    return this.queries.count(stats.criteria);
  }

  @ResolveField(() => [StatBucket], { complexity: 20 })
  async byComponent(@Parent() stats: ClickStats): Promise<StatBucket[]> {
    const buckets = await this.queries.breakdown(stats.criteria, 'click_component');
    return buckets
      .map(({ key, count }) => ({ key: key === null ? null : (COMPONENT_KEYS[key] ?? key), count }))
      .sort(byCountThenKey);
  }

  @ResolveField(() => [StatBucket], { complexity: 20 })
  byActionType(@Parent() stats: ClickStats): Promise<StatBucket[]> {
    return this.queries.breakdown(stats.criteria, 'action_type');
  }

  @ResolveField(() => [StatBucket], { complexity: 20 })
  byPhoneNumber(@Parent() stats: ClickStats): Promise<StatBucket[]> {
    return this.queries.breakdown(stats.criteria, 'phone_number_id');
  }

  @ResolveField(() => [StatBucket], {
    description: 'Highest count first.',
    complexity: ({ args }: ComplexityEstimatorArgs) =>
      20 + listCost(args.limit, 10, MAX_PRODUCT_BUCKETS),
  })
  byProduct(@Parent() stats: ClickStats, @Args() { limit }: ByProductArgs): Promise<StatBucket[]> {
    return this.queries.breakdown(stats.criteria, 'product_id', limit);
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
    const { from, to } = stats.criteria;
    const filled = from !== undefined && to !== undefined;
    let starts: number[] | undefined;
    if (filled) {
      try {
        starts = bucketStartsBetween(timezone, interval, from, to, MAX_TIME_BUCKETS);
      } catch (error) {
        if (error instanceof RangeError) throw clickError('BAD_USER_INPUT', error.message);
        throw error;
      }
    }
    // The zone's offsets are walked over the clicks' own time range, never over the filter's:
    // a filter reaching to the year 9999 (or 275760) must not walk empty millennia.
    const range = await this.queries.timeRange(stats.criteria);
    if (!range) return (starts ?? []).map((start) => ({ start: new Date(start), count: 0 }));

    const segments = offsetSegments(timezone, range.min, range.max + 1);
    const rows = await this.queries.countByBucket(stats.criteria, (column) =>
      bucketKeySql(column, interval, segments),
    );
    const counts = new Map<number, number>();
    for (const { key, count } of rows) {
      const start = interval === StatsInterval.DAY ? dayStart(timezone, key) : key;
      counts.set(start, (counts.get(start) ?? 0) + count);
    }
    if (!starts) {
      if (counts.size > MAX_TIME_BUCKETS) {
        throw clickError(
          'BAD_USER_INPUT',
          `more than ${MAX_TIME_BUCKETS} ${interval} buckets: narrow from/to or use a longer interval`,
        );
      }
      starts = [...counts.keys()].sort((a, b) => a - b);
    }
    return starts.map((start) => ({ start: new Date(start), count: counts.get(start) ?? 0 }));
  }
}

/** Highest count first, then key by code point, the null key last (as the database sorts). */
function byCountThenKey(a: CountBucket<string | null>, b: CountBucket<string | null>): number {
  if (a.count !== b.count) return b.count - a.count;
  if (a.key === b.key) return 0;
  if (a.key === null) return 1;
  if (b.key === null) return -1;
  return Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));
}
