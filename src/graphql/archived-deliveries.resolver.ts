import { Args, Context, GraphQLISODateTime, Mutation, Resolver } from '@nestjs/graphql';
import { ArchiveReplayResultModel } from '../models/archive-replay-result.model.js';
import { ArchivedDeliveryReplay } from '../replay/archive-replay.service.js';
import { InjectWhatsAppClicksConfig } from '../whatsapp-clicks.constants.js';
import type { WhatsAppClicksConfig } from '../whatsapp-clicks.options.js';
import { assertAdmin } from './admin-access.js';
import { clickError } from './graphql-errors.js';

/** Admin: the archive of signed deliveries (the `archive` option) read again. */
@Resolver()
export class ArchivedDeliveriesResolver {
  constructor(
    @InjectWhatsAppClicksConfig() private readonly config: WhatsAppClicksConfig,
    private readonly replayer: ArchivedDeliveryReplay,
  ) {}

  @Mutation(() => ArchiveReplayResultModel, {
    description:
      "Admin: runs archived deliveries received in [since, until) through today's parser; new clicks are stored with their original receivedAt and handed on, stored ones skipped. Twice is once.",
  })
  async replayArchivedDeliveries(
    @Context() context: unknown,
    @Args('since', { type: () => GraphQLISODateTime, nullable: true }) since?: Date | null,
    @Args('until', { type: () => GraphQLISODateTime, nullable: true }) until?: Date | null,
    @Args('dryRun', { type: () => Boolean, defaultValue: false }) dryRun?: boolean,
  ): Promise<ArchiveReplayResultModel> {
    await assertAdmin(this.config, context);
    if (!this.config.archive) {
      throw clickError('BAD_USER_INPUT', 'deliveries are not archived (the archive option is off)');
    }
    if (since && until && since >= until) {
      throw clickError('BAD_USER_INPUT', '"since" must be before "until"');
    }
    const result = await this.replayer.replay({
      since: since ?? undefined,
      until: until ?? undefined,
      dryRun,
    });
    return Object.assign(new ArchiveReplayResultModel(), result);
  }
}
