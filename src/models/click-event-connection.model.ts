import type { ClickEventCriteria } from '../storage/click-event.queries.js';
import type { ClickEventModel } from './click-event.model.js';

export class PageInfo {
  hasNextPage!: boolean;
  endCursor!: string | null;
}

export class ClickEventEdge {
  cursor!: string;
  node!: ClickEventModel;
}

/** A page of `clickEvents`. */
export class ClickEventConnection {
  edges!: ClickEventEdge[];
  pageInfo!: PageInfo;
  /** Resolved only when asked: the size of the whole filtered set, whatever `after` is. */
  totalCount?: number;
  /** What `totalCount` counts; not in the schema. */
  criteria!: ClickEventCriteria;
}
