import { describe, expect, it } from 'vitest';
import { ClickEvent } from '../storage/click-event.entity.js';
import { RecentClicks } from './recent-clicks.js';

const clicks = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) =>
    Object.assign(new ClickEvent(), { id: String(from + i) }),
  );

describe('RecentClicks', () => {
  it('keeps the newest clicks, at least `capacity` of them, dropping the oldest chunk whole', () => {
    const recent = new RecentClicks(2500);
    // Single-click commits fill chunks as one big commit does.
    for (let id = 1; id <= 1500; id++) recent.add(clicks(id, 1));
    recent.add(clicks(1501, 1500));
    expect(recent.get('1')?.id).toBe('1');
    expect(recent.get('3000')?.id).toBe('3000');
    recent.add(clicks(3001, 600)); // 3600 kept would pass 2500: the first chunk (1-1000) goes
    expect(recent.get('1000')).toBeUndefined();
    expect(recent.get('1001')?.id).toBe('1001');
    expect(recent.get('3600')?.id).toBe('3600');
    expect(recent.get('3601')).toBeUndefined();
  });

  it('drops chunks of a commit bigger than its capacity, keeping the newest', () => {
    const recent = new RecentClicks(100);
    recent.add(clicks(1, 1500));
    expect(recent.get('1000')).toBeUndefined();
    expect(recent.get('1001')?.id).toBe('1001');
    expect(recent.get('1500')?.id).toBe('1500');
  });
});
