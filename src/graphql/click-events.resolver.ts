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
import { ClickEventConnection } from '../models/click-event-connection.model.js';
import { ClickEventModel, toClickEventModel } from '../models/click-event.model.js';
import { ClickEventQueries } from '../storage/click-event.queries.js';
import { ClickAccessPolicy } from './click-access.policy.js';
import {
  ClickEventArgs,
  ClickEventsArgs,
  DEFAULT_PAGE_SIZE,
  listCost,
  MAX_PAGE_SIZE,
} from './click-api.args.js';
import { toCriteria } from './criteria.js';
import { decodeCursor } from './cursor.js';
import { GraphQLInputPipe } from './graphql-input.pipe.js';

@Resolver(() => ClickEventModel)
@UsePipes(GraphQLInputPipe)
export class ClickEventsResolver {
  constructor(
    @Inject(ClickEventQueries) private readonly queries: ClickEventQueries,
    private readonly access: ClickAccessPolicy,
  ) {}

  /**
   * Null for an unknown id and for an event of an account the caller may not read; an
   * unauthenticated caller is refused in both cases alike, so it learns nothing of the ids.
   */
  // A read by primary key, but each alias is a round trip: 1,000 of them must not fit.
  @Query(() => ClickEventModel, {
    nullable: true,
    complexity: ({ childComplexity }: ComplexityEstimatorArgs) => 5 + childComplexity,
  })
  async clickEvent(
    @Args() { id }: ClickEventArgs,
    @Context() context: unknown,
  ): Promise<ClickEventModel | null> {
    const event = await this.queries.findById(id);
    const readable = await this.access.mayRead(context, event?.businessAccountId ?? '');
    return event && readable ? toClickEventModel(event) : null;
  }

  /** Newest first (occurredAt desc, then id desc), keyset-paginated. */
  @Query(() => ClickEventConnection, {
    complexity: ({ args, childComplexity }: ComplexityEstimatorArgs) =>
      10 + listCost(args.first, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) + childComplexity,
  })
  async clickEvents(
    @Args() { businessAccountId, filter, first, after }: ClickEventsArgs,
    @Context() context: unknown,
  ): Promise<ClickEventConnection> {
    await this.access.assertMayRead(context, businessAccountId);
    const position = after === null || after === undefined ? undefined : decodeCursor(after);
    const criteria = toCriteria(businessAccountId, filter);

    const rows = await this.queries.findPage(criteria, first + 1, position);
    const page = rows.slice(0, first);
    const edges = page.map((event) => {
      const node = toClickEventModel(event);
      return { cursor: node.cursor, node };
    });
    const connection = new ClickEventConnection();
    connection.edges = edges;
    connection.pageInfo = {
      hasNextPage: rows.length > first,
      endCursor: edges.at(-1)?.cursor ?? null,
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
