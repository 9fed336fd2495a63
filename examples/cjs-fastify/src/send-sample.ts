// Sends one signed sample click to a running app: how a host tests its own endpoint.
// node dist/send-sample.js http://127.0.0.1:3000/webhooks/whatsapp
import {
  sampleClickAction,
  sampleClickDelivery,
  signWebhookBody,
} from 'nestjs-whatsapp-clicks/testing';

async function send(url: string): Promise<void> {
  const body = JSON.stringify(sampleClickDelivery({ actions: [sampleClickAction()] }));
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': signWebhookBody(body, process.env.WHATSAPP_APP_SECRET ?? ''),
    },
    body,
  });
  console.log(response.status, await response.text());
}

void send(process.argv[2] ?? 'http://127.0.0.1:3000/webhooks/whatsapp');
