/* global process, setTimeout, console */
// The standalone server as `npm start` runs it (built, in a process of its own), plus a
// ClickEventReceived handler that appends each click's id to HANDLED_FILE (after
// HANDLER_DELAY_MS): what a host's handler saw survives a kill -9 of this process.
import { appendFileSync } from 'node:fs';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { createServer } from '../../dist/server/create-server.js';
import { closeOnSignals } from '../../dist/server/graceful-shutdown.js';
import { loadServerConfig } from '../../dist/server/server-config.js';
import { CLICK_EVENT_RECEIVED } from '../../dist/src/index.js';

const config = loadServerConfig(process.env);
const delay = Number(process.env.HANDLER_DELAY_MS ?? 0);
const recorder = {
  provide: 'HANDLED_RECORDER',
  inject: [EventEmitter2],
  useFactory: (emitter) => {
    emitter.on(CLICK_EVENT_RECEIVED, async (event) => {
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      appendFileSync(process.env.HANDLED_FILE, `${event.clickEvent.id}\n`);
    });
    return true;
  },
};
const app = await createServer(config, { logger: ['error', 'warn', 'log'], providers: [recorder] });
closeOnSignals(app);
await app.listen(config.port, '127.0.0.1');
console.log(`LISTENING ${await app.getUrl()}`);
