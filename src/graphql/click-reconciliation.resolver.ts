import { Inject, UsePipes } from '@nestjs/common';
import { Args, ArgsType, Context, Field, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';
import { ReconciliationDayModel } from '../models/reconciliation-day.model.js';
import { ClickReconciliation } from '../reconciliation/click-reconciliation.service.js';
import { ClickAccessPolicy } from './click-access.policy.js';
import { GraphQLInputPipe } from './graphql-input.pipe.js';
import './graphql-types.js';

const MAX_DAYS = 90;

@ArgsType()
class ReconciliationArgs {
  @Field(() => ID)
  @IsString({ message: 'must be a string' })
  @Length(1, 128, { message: 'must be 1 to 128 characters' })
  businessAccountId!: string;

  @Field(() => Int, { defaultValue: 14 })
  @IsInt({ message: 'must be a whole number' })
  @Min(1, { message: `must be from 1 to ${MAX_DAYS}` })
  @Max(MAX_DAYS, { message: `must be from 1 to ${MAX_DAYS}` })
  days: number = 14;
}

/** `clickReconciliation`: Meta's CTA clicks per day against those stored (the `reconciliation` option). */
@Resolver()
@UsePipes(GraphQLInputPipe)
export class ClickReconciliationResolver {
  constructor(
    @Inject(ClickReconciliation) private readonly reconciliation: ClickReconciliation,
    private readonly access: ClickAccessPolicy,
  ) {}

  @Query(() => [ReconciliationDayModel], {
    description:
      "The account's last checked days, newest first: Meta's CTA clicks, those stored, and whether Meta's count is settled (48 h). Empty without the reconciliation option.",
    complexity: 20,
  })
  async clickReconciliation(
    @Args() { businessAccountId, days }: ReconciliationArgs,
    @Context() context: unknown,
  ): Promise<ReconciliationDayModel[]> {
    await this.access.assertMayRead(context, businessAccountId);
    const rows = await this.reconciliation.days(businessAccountId, days);
    return rows.map((row) =>
      Object.assign(new ReconciliationDayModel(), {
        day: new Date(row.day),
        metaClicks: row.metaClicks,
        storedClicks: row.storedClicks,
        drift: row.drift,
        settled: row.settled,
        checkedAt: new Date(row.checkedAt),
      }),
    );
  }
}
