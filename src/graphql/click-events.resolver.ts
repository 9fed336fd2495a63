import { Inject } from '@nestjs/common';
import {
  Args,
  type ComplexityEstimatorArgs,
  Context,
  ID,
  Int,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { ClickEventQueries } from '../storage/click-event.queries.js';
import { ClickAccessPolicy } from './click-access.policy.js';
import { ClickEventConnection } from './click-event-connection.model.js';
import { ClickEventFilter } from './click-event-filter.input.js';
import { ClickEventModel, toClickEventModel } from './click-event.model.js';
import { toCriteria } from './criteria.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { clickError } from './graphql-errors.js';

export const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 50;

@Resolver(() => ClickEventModel)
export class ClickEventsResolver {
  constructor(
    @Inject(ClickEventQueries) private readonly queries: ClickEventQueries,
    private readonly access: ClickAccessPolicy,
  ) {}

  /** Null for an unknown id and for an event of an account the caller may not read. */
  @Query(() => ClickEventModel, { nullable: true })
  async clickEvent(
    @Args('id', { type: () => ID }) id: string,
    @Context() context: unknown,
  ): Promise<ClickEventModel | null> {
    const event = await this.queries.findById(id);
    if (!event || !(await this.access.mayRead(context, event.businessAccountId))) return null;
    return toClickEventModel(event);
  }

  /** Newest first (occurredAt desc, then id desc), keyset-paginated. */
  @Query(() => ClickEventConnection, {
    complexity: ({ args, childComplexity }: ComplexityEstimatorArgs) =>
      10 + Math.ceil(Number(args.first ?? DEFAULT_PAGE_SIZE) / 10) + childComplexity,
  })
  async clickEvents(
    @Args('businessAccountId', { type: () => ID }) businessAccountId: string,
    @Args('filter', { type: () => ClickEventFilter, nullable: true })
    filter: ClickEventFilter | null,
    @Args('first', { type: () => Int, defaultValue: DEFAULT_PAGE_SIZE }) first: number,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
    @Context() context: unknown,
  ): Promise<ClickEventConnection> {
    await this.access.assertMayRead(context, businessAccountId);
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
      throw clickError(
        'BAD_USER_INPUT',
        `"first" must be from 1 to ${MAX_PAGE_SIZE}, not ${first}`,
      );
    }
    const position = after === null || after === undefined ? undefined : decodeCursor(after);
    const criteria = toCriteria(businessAccountId, filter);

    const rows = await this.queries.findPage(criteria, first + 1, position);
    const page = rows.slice(0, first);
    const edges = page.map((event) => ({
      cursor: encodeCursor({ occurredAt: event.occurredAt.getTime(), id: event.id }),
      node: toClickEventModel(event),
    }));
    const connection = new ClickEventConnection();
    connection.edges = edges;
    connection.pageInfo = {
      hasNextPage: rows.length > first,
      endCursor: edges.length > 0 ? edges[edges.length - 1].cursor : null,
    };
    connection.criteria = criteria;
    return connection;
  }
}

@Resolver(() => ClickEventConnection)
export class ClickEventConnectionResolver {
  constructor(@Inject(ClickEventQueries) private readonly queries: ClickEventQueries) {}

  @ResolveField(() => Int, { complexity: 10 })
  async totalCount(@Parent() connection: ClickEventConnection): Promise<number> {
    return this.queries.count(connection.criteria);
  }
}
