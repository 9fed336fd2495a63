import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** What a subscriber has seen so far. */
export interface Subscriber {
  events: any[];
  errors: unknown[];
  completed: boolean;
  /** Stops the subscription (the client sends `complete`). */
  stop(): void;
}

export const CLICK_SUBSCRIPTION = `subscription Live($account: ID!, $filter: ClickEventFilter) {
  clickEventReceived(businessAccountId: $account, filter: $filter) {
    id businessAccountId clickId clickComponent productId phoneNumberId actionType occurredAt receivedAt
  }
}`;

/** A graphql-ws client of `wsUrl`, with the key sent as connectionParams.authorization. */
export function wsClient(wsUrl: string, key?: string): Client {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: key === undefined ? {} : { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: true,
  });
}

export function subscribe(
  client: Client,
  variables: Record<string, unknown>,
  query = CLICK_SUBSCRIPTION,
): Subscriber {
  const subscriber: Subscriber = {
    events: [],
    errors: [],
    completed: false,
    stop: () => undefined,
  };
  subscriber.stop = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) subscriber.errors.push(...result.errors);
        if (result.data) subscriber.events.push((result.data as any).clickEventReceived);
      },
      error: (error) => subscriber.errors.push(error),
      complete: () => {
        subscriber.completed = true;
      },
    },
  );
  return subscriber;
}
