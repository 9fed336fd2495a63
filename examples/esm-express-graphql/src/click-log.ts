import { Controller, Get, Injectable } from '@nestjs/common';
import { type ClickEventReceived, OnClickEvent } from 'nestjs-whatsapp-clicks';

/** The app's own reaction to each new click (a CRM sync, a coupon, ...): here, a list. */
@Injectable()
export class ClickLog {
  readonly clickIds: (string | null)[] = [];

  @OnClickEvent()
  onClick({ clickEvent }: ClickEventReceived): void {
    this.clickIds.push(clickEvent.clickId);
  }
}

@Controller('click-log')
export class ClickLogController {
  constructor(private readonly log: ClickLog) {}

  @Get()
  list(): (string | null)[] {
    return this.log.clickIds;
  }
}
