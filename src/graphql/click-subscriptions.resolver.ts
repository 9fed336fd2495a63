import { UsePipes } from '@nestjs/common';
import { Args, Context, Resolver, Subscription } from '@nestjs/graphql';
import { subscribeBounded, SUBSCRIBER_OVERFLOW } from '../live/bounded-subscription.js';
import {
  clickChannel,
  type ClickMessage,
  type ClickPubSub,
  InjectClickPubSub,
} from '../live/click-pubsub.js';
import { LiveSubscriptions } from '../live/live-subscriptions.js';
import { ClickEventModel, toClickEventModel } from '../models/click-event.model.js';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { ClickAccessPolicy } from './click-access.policy.js';
import { AccountArgs } from './click-api.args.js';
import { matchesCriteria, toCriteria } from './criteria.js';
import { clickError } from './graphql-errors.js';
import { GraphQLInputPipe } from './graphql-input.pipe.js';

@Resolver(() => ClickEventModel)
@UsePipes(GraphQLInputPipe)
export class ClickSubscriptionsResolver {
  constructor(
    // Never null here: with graphql: true the module always has an engine.
    @InjectClickPubSub() private readonly pubSub: ClickPubSub,
    @InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig,
    private readonly access: ClickAccessPolicy,
    private readonly live: LiveSubscriptions,
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
    @Args() { businessAccountId, filter }: AccountArgs,
    @Context() context: unknown,
  ): Promise<AsyncIterableIterator<ClickMessage | typeof SUBSCRIBER_OVERFLOW>> {
    await this.access.assertMayRead(context, businessAccountId);
    const criteria = toCriteria(businessAccountId, filter);
    const ended = this.live.opened();
    try {
      return await subscribeBounded<ClickMessage>(this.pubSub, clickChannel(businessAccountId), {
        maxBuffered: this.config.subscriptionBuffer,
        filter: (message) => matchesCriteria(message, criteria),
        onEnd: ended,
      });
    } catch (error) {
      ended();
      throw error;
    }
  }
}
