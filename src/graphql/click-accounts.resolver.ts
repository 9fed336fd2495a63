import { Inject } from '@nestjs/common';
import { Context, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { WHATSAPP_CLICKS_DATA_SOURCE } from '../whatsapp-clicks.constants.js';
import type { DataSource } from 'typeorm';
import { ConversionsBatch } from '../conversions/conversion.reads.js';
import { ClickAccountModel, ConversionModel } from '../models/click-funnel.model.js';
import { ClickEventModel } from '../models/click-event.model.js';
import { ClickAccountsService, MAX_ACCOUNTS } from '../stats/click-accounts.service.js';
import { ClickAccessPolicy } from './click-access.policy.js';
import './graphql-types.js';

/** `clickAccounts` (what the caller may read) and `ClickEvent.conversions`. */
@Resolver(() => ClickEventModel)
export class ClickAccountsResolver {
  private readonly conversionsBatch: ConversionsBatch;

  constructor(
    @Inject(ClickAccountsService) private readonly accounts: ClickAccountsService,
    @Inject(WHATSAPP_CLICKS_DATA_SOURCE) dataSource: DataSource,
    private readonly access: ClickAccessPolicy,
  ) {
    this.conversionsBatch = new ConversionsBatch(dataSource);
  }

  @Query(() => [ClickAccountModel], {
    description: `The business accounts with clicks that the caller may read (the first ${MAX_ACCOUNTS} with clicks), with their totals and last click.`,
    complexity: 200,
  })
  async clickAccounts(@Context() context: unknown): Promise<ClickAccountModel[]> {
    const list = await this.accounts.list((account) => this.access.mayRead(context, account));
    return list.map((summary) => Object.assign(new ClickAccountModel(), summary));
  }

  @ResolveField(() => [ConversionModel], {
    description: 'What the landing page or a server reported for this click (by its click_id).',
    complexity: 10,
  })
  async conversions(@Parent() click: ClickEventModel): Promise<ConversionModel[]> {
    if (click.clickId === null) return [];
    const rows = await this.conversionsBatch.load(click.clickId);
    return rows.map((row) => Object.assign(new ConversionModel(), row));
  }
}
