/**
 * Sends signed, Meta-shaped click webhooks to a running server, to see it work:
 *
 *   npm run simulate -- --count 100 [--batch 10] [--url http://localhost:3000/webhooks/whatsapp]
 *                       [--secret dev-app-secret] [--account 102290129340398] [--repeat]
 *
 * `--repeat` sends every delivery twice, as Meta's retries do: the second copy stores nothing.
 */
import { parseArgs } from 'node:util';
import { sampleClickAction, sampleClickDelivery } from '../src/testing/click-payloads.js';
import { SIGNATURE_HEADER, signatureFor } from '../src/webhook/webhook-signature.js';
import { DEFAULT_WEBHOOK_PATH } from '../src/index.js';
import { DEV_APP_SECRET } from './server-config.js';

const HELP = `Sends signed, Meta-shaped click webhooks to a running server (npm start).

  npm run simulate -- [--count 10] [--batch 1] [--repeat] [--url URL] [--secret SECRET] [--account ID]

  --count N     clicks to send (default 10)
  --batch N     clicks per delivery, 1 to 1000 (default 1)
  --repeat      send every delivery twice, as Meta's retries do: the second copy stores nothing
  --url URL     the webhook (default http://localhost:$PORT/webhooks/whatsapp, PORT 3000)
  --secret S    the app secret to sign with (default WHATSAPP_APP_SECRET, or the dev secret)
  --account ID  the business account id (default 102290129340398)`;

let parsed;
try {
  parsed = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      count: { type: 'string', default: '10' },
      batch: { type: 'string', default: '1' },
      url: {
        type: 'string',
        default: `http://localhost:${process.env.PORT ?? 3000}/${DEFAULT_WEBHOOK_PATH}`,
      },
      secret: { type: 'string', default: process.env.WHATSAPP_APP_SECRET || DEV_APP_SECRET },
      account: { type: 'string', default: '102290129340398' },
      repeat: { type: 'boolean', default: false },
    },
  });
} catch (error) {
  console.error(`${(error as Error).message}\n\n${HELP}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const count = Number(values.count);
const batch = Number(values.batch);
if (
  !Number.isInteger(count) ||
  count < 1 ||
  !Number.isInteger(batch) ||
  batch < 1 ||
  batch > 1000
) {
  console.error('--count must be a positive integer and --batch an integer from 1 to 1000');
  process.exit(2);
}

const products = ['sku_red_shoes', 'sku_blue_shirt', 'sku_green_hat'];
const answers = new Map<string, number>();
let stored = 0;
let duplicates = 0;
const started = performance.now();

async function send(body: Buffer): Promise<void> {
  const response = await fetch(values.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signatureFor(body, values.secret),
    },
    body,
  });
  const key = String(response.status);
  answers.set(key, (answers.get(key) ?? 0) + 1);
  if (response.ok) {
    const answer = (await response.json()) as { stored: number; duplicates: number };
    stored += answer.stored;
    duplicates += answer.duplicates;
  } else {
    console.error(`${response.status}: ${await response.text()}`);
  }
}

try {
  for (let sent = 0; sent < count; sent += batch) {
    const now = Math.floor(Date.now() / 1000);
    const actions = Array.from({ length: Math.min(batch, count - sent) }, (_, i) =>
      sampleClickAction({
        timestamp: String(now),
        click_component: (sent + i) % 3 === 0 ? 'body' : 'cta',
        product_id: products[(sent + i) % products.length],
      }),
    );
    const body = Buffer.from(
      JSON.stringify(sampleClickDelivery({ businessAccountId: values.account, actions })),
    );
    await send(body);
    if (values.repeat) await send(body);
  }
} catch (error) {
  console.error(
    `could not reach ${values.url}: ${(error as Error).message} (is \`npm start\` running?)`,
  );
  process.exit(1);
}

const seconds = (performance.now() - started) / 1000;
console.log(
  `sent ${count} click(s) to ${values.url} in ${seconds.toFixed(2)} s; ` +
    `answers ${JSON.stringify(Object.fromEntries(answers))}; stored ${stored}, duplicates ${duplicates}`,
);
if ([...answers.keys()].some((status) => status !== '200')) process.exitCode = 1;
