import { Injectable } from '@nestjs/common';

/** How many live subscriptions this process serves now (the `live_subscriptions` gauge). */
@Injectable()
export class LiveSubscriptions {
  private open = 0;

  /** A subscription started; the function returned ends it (once, however often called). */
  opened(): () => void {
    this.open++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.open--;
    };
  }

  get count(): number {
    return this.open;
  }
}
