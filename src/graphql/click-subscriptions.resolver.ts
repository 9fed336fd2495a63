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
import { ClickStreamReader } from '../stream/click-stream.reader.js';
import { subscribeResumable } from '../stream/resumable-subscription.js';
import { ClickEventModel, toClickEventModel } from '../models/click-event.model.js';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { ClickAccessPolicy } from './click-access.policy.js';
import { ClickSubscriptionArgs } from './click-api.args.js';
import { type ClickEventCriteria } from '../storage/click-event.queries.js';
import { matchesCriteria, toCriteria } from './criteria.js';
import { decodeCursor } from './cursor.js';
import { clickError } from './graphql-errors.js';
import { GraphQLInputPipe } from './graphql-input.pipe.js';

/** Clicks a resumed subscription reads per query. */
const RESUME_PAGE_SIZE = 200;
/** A resumed subscription reads again at least this often, news or not. */
const RESUME_IDLE_POLL_MS = 2_000;

@Resolver(() => ClickEventModel)
@UsePipes(GraphQLInputPipe)
export class ClickSubscriptionsResolver {
  constructor(
    // Never null here: with graphql: true the module always has an engine.
    @InjectClickPubSub() private readonly pubSub: ClickPubSub,
    @InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig,
    private readonly access: ClickAccessPolicy,
    private readonly live: LiveSubscriptions,
    private readonly stream: ClickStreamReader,
  ) {}

  /**
   * Every click of the account stored from now on, once, after it is committed; the filter
   * is applied here, on the server. Authorized when subscribing: a refused subscription gets
   * an error and never an event. A subscriber that falls `subscriptionBuffer` clicks behind
   * gets one SUBSCRIBER_TOO_SLOW error and the subscription completes (resubscribe with
   * `after`: the last click's `cursor`).
   *
   * With `after`, first every matching click stored after that one, in the order they were
   * stored, then the new ones, each exactly once: read from the database, so nothing is
   * missed at the seam, behind a slow consumer or across instances.
   */
  @Subscription(() => ClickEventModel, {
    resolve: (message: ClickMessage | typeof SUBSCRIBER_OVERFLOW) => {
      if (message === SUBSCRIBER_OVERFLOW) {
        throw clickError(
          'SUBSCRIBER_TOO_SLOW',
          'this subscriber fell too far behind and was ended; resubscribe with after: the cursor of the last click received',
        );
      }
      return toClickEventModel(message);
    },
  })
  async clickEventReceived(
    @Args() { businessAccountId, filter, after }: ClickSubscriptionArgs,
    @Context() context: unknown,
  ): Promise<AsyncIterableIterator<ClickMessage | typeof SUBSCRIBER_OVERFLOW>> {
    await this.access.assertMayRead(context, businessAccountId);
    const criteria = toCriteria(businessAccountId, filter);
    const ended = this.live.opened();
    try {
      if (after !== null && after !== undefined) {
        return await this.resume(criteria, after, ended);
      }
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

  private async resume(
    criteria: ClickEventCriteria,
    after: string,
    ended: () => void,
  ): Promise<AsyncIterableIterator<ClickMessage>> {
    const account = criteria.businessAccountId;
    const start = await this.stream.positionAfter(account, decodeCursor(after));
    if (!start) {
      throw clickError(
        'BAD_USER_INPUT',
        `"after" is not the cursor of a stored click of account ${JSON.stringify(account)}: ${JSON.stringify(after)}`,
      );
    }
    return subscribeResumable(this.pubSub, clickChannel(account), this.stream, criteria, start, {
      pageSize: RESUME_PAGE_SIZE,
      idlePollMs: RESUME_IDLE_POLL_MS,
      filter: (message) => matchesCriteria(message, criteria),
      onEnd: ended,
    });
  }
}
