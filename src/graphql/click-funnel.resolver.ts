import { Inject, UsePipes } from '@nestjs/common';
import {
  Args,
  type ComplexityEstimatorArgs,
  Context,
  Parent,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { type FunnelColumn, ClickFunnelService } from '../funnel/click-funnel.service.js';
import { ClickComponent } from '../models/click-event.model.js';
import {
  ClickFunnelModel,
  FunnelGroupModel,
  FunnelStepModel,
} from '../models/click-funnel.model.js';
import { ClickAccessPolicy } from './click-access.policy.js';
import { ByProductArgs, listCost, MAX_PRODUCT_BUCKETS } from './click-api.args.js';
import { ClickFunnelArgs } from './click-funnel.args.js';
import { toCriteria } from './criteria.js';
import { clickError } from './graphql-errors.js';
import { GraphQLInputPipe } from './graphql-input.pipe.js';

/** Groups of a breakdown without a limit of their own: components and phone numbers are few. */
const SMALL_BREAKDOWN = 100;
const COMPONENT_KEYS: Record<string, string> = {
  [ClickComponent.CTA]: 'CTA',
  [ClickComponent.BODY]: 'BODY',
};
/** What one step costs: a pass over the cohort's clicks. */
const stepsCost = (steps: unknown) => 50 * (Array.isArray(steps) ? Math.min(steps.length, 10) : 10);

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
      'Per step, how many got there (clicks of the filtered set that reached the step, by click_id), the rate from the step before and conversion values per currency; also per component, product and phone number.',
    complexity: ({ args, childComplexity }: ComplexityEstimatorArgs) =>
      childComplexity * Math.ceil(stepsCost(args.steps) / 50),
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
    return Object.assign(new ClickFunnelModel(), {
      criteria: toCriteria(businessAccountId, filter),
      stepNames: steps,
    });
  }

  @ResolveField(() => [FunnelStepModel], { complexity: 50 })
  steps(@Parent() funnel: ClickFunnelModel): Promise<FunnelStepModel[]> {
    return this.funnels.funnel(funnel.criteria, funnel.stepNames);
  }

  @ResolveField(() => [FunnelGroupModel], { complexity: 60 })
  async byComponent(@Parent() funnel: ClickFunnelModel): Promise<FunnelGroupModel[]> {
    const groups = await this.groups(funnel, 'click_component', SMALL_BREAKDOWN);
    return groups.map((group) => ({
      ...group,
      key: group.key === null ? null : (COMPONENT_KEYS[group.key] ?? group.key),
    }));
  }

  @ResolveField(() => [FunnelGroupModel], { complexity: 60 })
  byPhoneNumber(@Parent() funnel: ClickFunnelModel): Promise<FunnelGroupModel[]> {
    return this.groups(funnel, 'phone_number_id', SMALL_BREAKDOWN);
  }

  @ResolveField(() => [FunnelGroupModel], {
    description: 'The products with the most clicks first.',
    complexity: ({ args }: ComplexityEstimatorArgs) =>
      60 + listCost(args.limit, 10, MAX_PRODUCT_BUCKETS),
  })
  byProduct(
    @Parent() funnel: ClickFunnelModel,
    @Args() { limit }: ByProductArgs,
  ): Promise<FunnelGroupModel[]> {
    return this.groups(funnel, 'product_id', limit);
  }

  private groups(
    funnel: ClickFunnelModel,
    column: FunnelColumn,
    limit: number,
  ): Promise<FunnelGroupModel[]> {
    return this.funnels.breakdown(funnel.criteria, funnel.stepNames, column, limit);
  }
}
