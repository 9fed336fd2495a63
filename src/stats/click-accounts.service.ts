import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { nextAccount } from '../storage/account-walk.js';
import { WHATSAPP_CLICKS_DATA_SOURCE } from '../whatsapp-clicks.constants.js';
import { ClickStatsService } from './click-stats.service.js';

/** Most accounts `clickAccounts` walks. */
export const MAX_ACCOUNTS = 1000;

export interface ClickAccountSummary {
  businessAccountId: string;
  total: number;
  lastClickAt: Date | null;
}

/**
 * The business accounts that have clicks, in id order, one index seek each, with their totals
 * (from the rollups) and last click time; `mayRead` says which the caller gets.
 */
@Injectable()
export class ClickAccountsService {
  private readonly postgres: boolean;

  constructor(
    @Inject(WHATSAPP_CLICKS_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(ClickStatsService) private readonly stats: ClickStatsService,
  ) {
    this.postgres = dataSource.driver.options.type === 'postgres';
  }

  async list(mayRead: (account: string) => Promise<boolean>): Promise<ClickAccountSummary[]> {
    const p = this.postgres ? '$1' : '?';
    const accounts: ClickAccountSummary[] = [];
    let after: string | null = null;
    for (let walked = 0; walked < MAX_ACCOUNTS; walked++) {
      const account = await nextAccount(this.dataSource, after);
      if (account === null) break;
      after = account;
      if (!(await mayRead(account))) continue;
      const [last] = await this.dataSource.query<{ last: string | number | null }[]>(
        `SELECT MAX("occurred_at") AS "last" FROM "click_events" WHERE "business_account_id" = ${p}`,
        [account],
      );
      accounts.push({
        businessAccountId: account,
        total: await this.stats.total({ businessAccountId: account }),
        lastClickAt: last?.last == null ? null : new Date(Number(last.last)),
      });
    }
    return accounts;
  }
}
