import { Args, Context, ID, Resolver, Subscription } from '@nestjs/graphql';
import type { PubSubEngine } from 'graphql-subscriptions';
import { subscribeBounded, SUBSCRIBER_OVERFLOW } from '../live/bounded-subscription.js';
import { clickChannel, type ClickMessage, InjectClickPubSub } from '../live/click-pubsub.js';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { ClickAccessPolicy } from './click-access.policy.js';
import { ClickEventFilter } from './click-event-filter.input.js';
import { ClickEventModel, toClickEventModel } from './click-event.model.js';
import { matchesCriteria, toCriteria } from './criteria.js';
import { clickError } from './graphql-errors.js';

@Resolver(() => ClickEventModel)
export class ClickSubscriptionsResolver {
  constructor(
    @InjectClickPubSub() private readonly pubSub: PubSubEngine,
    @InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig,
    private readonly access: ClickAccessPolicy,
  ) {}

  /**
   * Every click of the account stored from now on, once, after it is committed; the filter
   * is applied here, on the server. Authorized when subscribing: a refused subscription gets
   * an error and never an event. A subscriber that falls `subscriptionBuffer` clicks behind
   * gets one SUBSCRIBER_TOO_SLOW error and the subscription completes (read what it missed
   * with `clickEvents`).
   */
  @Subscription(() => ClickEventModel, {
    resolve: (message: ClickMessage | typeof SUBSCRIBER_OVERFLOW) => {
      if (message === SUBSCRIBER_OVERFLOW) {
        throw clickError(
          'SUBSCRIBER_TOO_SLOW',
          'this subscriber fell too far behind and was ended; resubscribe and read the missed clicks with clickEvents',
        );
      }
      return toClickEventModel(message);
    },
  })
  async clickEventReceived(
    @Args('businessAccountId', { type: () => ID }) businessAccountId: string,
    @Args('filter', { type: () => ClickEventFilter, nullable: true })
    filter: ClickEventFilter | null,
    @Context() context: unknown,
  ): Promise<AsyncIterableIterator<ClickMessage | typeof SUBSCRIBER_OVERFLOW>> {
    await this.access.assertMayRead(context, businessAccountId);
    const criteria = toCriteria(businessAccountId, filter);
    return subscribeBounded<ClickMessage>(this.pubSub, clickChannel(businessAccountId), {
      maxBuffered: this.config.subscriptionBuffer,
      filter: (message) => matchesCriteria(message, criteria),
    });
  }
}
