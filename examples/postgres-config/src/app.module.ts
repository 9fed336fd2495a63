import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  ClickEvent,
  RejectedDelivery,
  whatsAppClicksMigrations,
  WhatsAppClicksModule,
} from 'nestjs-whatsapp-clicks';
import { Order, OrdersController } from './orders.js';
import { CreateOrders1764000000000 } from './migrations/1764000000000-create-orders.js';

@Module({
  imports: [
    ConfigModule.forRoot(),
    EventEmitterModule.forRoot(),
    TypeOrmModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        type: 'postgres',
        url: config.getOrThrow<string>('DATABASE_URL'),
        entities: [ClickEvent, RejectedDelivery, Order],
        migrations: [...whatsAppClicksMigrations, CreateOrders1764000000000],
        migrationsRun: true,
      }),
    }),
    TypeOrmModule.forFeature([Order, ClickEvent]),
    WhatsAppClicksModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        appSecret: config.getOrThrow<string>('WHATSAPP_APP_SECRET'),
        verifyToken: config.getOrThrow<string>('WHATSAPP_VERIFY_TOKEN'),
      }),
    }),
  ],
  controllers: [OrdersController],
})
export class AppModule {}
