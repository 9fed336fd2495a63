import { DynamicModule, Module } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WhatsAppClicksModule } from '../whatsapp-clicks.module.js';
import { dataSourceOptions, type ServerConfig } from './server-config.js';

/** The standalone server: one host of the module like any other. */
@Module({})
export class AppModule {
  static register(config: ServerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl), migrationsRun: true }),
        EventEmitterModule.forRoot(),
        WhatsAppClicksModule.forRoot({
          appSecret: config.appSecret,
          verifyToken: config.verifyToken,
          bodyLimit: config.bodyLimit,
        }),
      ],
    };
  }
}
