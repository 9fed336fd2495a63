import { Body, Controller, Get, Injectable, Module, Post } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  ClickEvent,
  type ClickEventReceived,
  OnClickEvent,
  RejectedDelivery,
  whatsAppClicksMigrations,
  WhatsAppClicksModule,
} from 'nestjs-whatsapp-clicks';

/** The app's own reaction to new clicks. */
@Injectable()
export class ClickCounter {
  count = 0;

  @OnClickEvent()
  onClick(_event: ClickEventReceived): void {
    this.count += 1;
  }
}

/** The app's own routes: one reads the counter, one takes JSON (parsed by Fastify as usual). */
@Controller()
export class AppController {
  constructor(private readonly counter: ClickCounter) {}

  @Get('clicks-seen')
  seen(): { count: number } {
    return { count: this.counter.count };
  }

  @Post('echo')
  echo(@Body() body: unknown): unknown {
    return body;
  }
}

@Module({
  imports: [
    EventEmitterModule.forRoot(),
    TypeOrmModule.forRoot({
      type: 'better-sqlite3',
      database: process.env.DATABASE_FILE ?? 'clicks.sqlite',
      entities: [ClickEvent, RejectedDelivery],
      migrations: whatsAppClicksMigrations,
      migrationsRun: true,
    }),
    WhatsAppClicksModule.forRoot({
      appSecret: process.env.WHATSAPP_APP_SECRET ?? '',
      verifyToken: process.env.WHATSAPP_VERIFY_TOKEN ?? '',
    }),
  ],
  controllers: [AppController],
  providers: [ClickCounter],
})
export class AppModule {}
