/** What `replayArchivedDeliveries` did, or would do. */
export class ArchiveReplayResultModel {
  examined!: number;
  stored!: number;
  duplicates!: number;
  rejected!: number;
  refused!: number;
  trackingEvents!: number;
  dryRun!: boolean;
}
