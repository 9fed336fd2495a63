import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { useWhatsAppClicksBodyParser } from 'nestjs-whatsapp-clicks';
import { AppModule } from './app.module.js';

const app = await NestFactory.create(AppModule, { bodyParser: false });
useWhatsAppClicksBodyParser(app, { limit: '100kb' }); // the webhook gets its bytes; other routes parse JSON as before
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
console.log(`listening on ${await app.getUrl()}`);
