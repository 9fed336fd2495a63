import { Inject, UsePipes } from '@nestjs/common';
import { Args, type ComplexityEstimatorArgs, Context, Query, Resolver } from '@nestjs/graphql';
import { ClickFunnelService } from '../funnel/click-funnel.service.js';
import { ClickFunnelModel } from '../models/click-funnel.model.js';
import { ClickAccessPolicy } from './click-access.policy.js';
import { ClickFunnelArgs } from './click-funnel.args.js';
import { toCriteria } from './criteria.js';
import { clickError } from './graphql-errors.js';
import { GraphQLInputPipe } from './graphql-input.pipe.js';

/** `clickFunnel`: sent, clicked, then what the visitors did (see ClickFunnelService). */
@Resolver(() => ClickFunnelModel)
@UsePipes(GraphQLInputPipe)
export class ClickFunnelResolver {
  constructor(
    @Inject(ClickFunnelService) private readonly funnels: ClickFunnelService,
    private readonly access: ClickAccessPolicy,
  ) {}

  @Query(() => ClickFunnelModel, {
    description:
      'Per step, how many got there (clicks of the filtered set that reached the step, by click_id), the rate from the step before and conversion values per currency.',
    complexity: ({ args }: ComplexityEstimatorArgs) =>
      50 * (Array.isArray(args.steps) ? Math.min(args.steps.length, 10) : 10),
  })
  async clickFunnel(
    @Args() { businessAccountId, filter, steps }: ClickFunnelArgs,
    @Context() context: unknown,
  ): Promise<ClickFunnelModel> {
    await this.access.assertMayRead(context, businessAccountId);
    if (filter?.actionType) {
      throw clickError(
        'BAD_USER_INPUT',
        '"filter.actionType" does not apply to a funnel: its steps say which actions count',
      );
    }
    const result = new ClickFunnelModel();
    result.steps = await this.funnels.funnel(toCriteria(businessAccountId, filter), steps);
    return result;
  }
}
