import { describe, expect, it } from 'vitest';
import { CARDS, defaultLayout, mergeLayout, move, toPreferences } from './cards';
import { axisTicks, niceMax, topGroups } from './charts';

describe('dashboard layout', () => {
  it('shows the default layout when the server has none', () => {
    expect(mergeLayout([])).toEqual(defaultLayout());
    expect(defaultLayout().map((e) => e.id)).toEqual(CARDS.map((c) => c.id));
  });

  it('keeps the saved order, drops unknown cards and appends cards the server did not list', () => {
    const merged = mergeLayout([
      { cardId: 'offlineHosts', enabled: true, order: 1 },
      { cardId: 'retired', enabled: true, order: 0 },
      { cardId: 'totalHosts', enabled: false, order: 2 },
    ]);
    expect(merged.slice(0, 2)).toEqual([
      { id: 'offlineHosts', enabled: true },
      { id: 'totalHosts', enabled: false },
    ]);
    expect(merged).toHaveLength(CARDS.length);
    expect(merged.find((e) => e.id === 'pendingHosts')?.enabled).toBe(false);
    expect(merged.find((e) => e.id === 'recentActivity')?.enabled).toBe(true);
  });

  it('moves cards within bounds and numbers them for the server', () => {
    const list = ['a', 'b', 'c'];
    expect(move(list, 2, -1)).toEqual(['a', 'c', 'b']);
    expect(move(list, 0, -1)).toEqual(list);
    expect(move(list, 2, 1)).toEqual(list);
    expect(toPreferences([{ id: 'x', enabled: true }, { id: 'y', enabled: false }])).toEqual([
      { cardId: 'x', enabled: true, order: 0 },
      { cardId: 'y', enabled: false, order: 1 },
    ]);
  });
});

describe('chart helpers', () => {
  it('folds small groups into Other', () => {
    const dist = Array.from({ length: 8 }, (_, i) => ({ name: `OS ${i}`, count: 10 - i }));
    const groups = topGroups(dist, 6);
    expect(groups).toHaveLength(6);
    expect(groups[5]).toEqual({ name: 'Other', count: 5 + 4 + 3 });
    expect(topGroups(dist.slice(0, 3))).toHaveLength(3);
  });

  it('rounds axis maxima up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 10, 11, 45, 180, 999].map(niceMax)).toEqual([1, 1, 5, 10, 10, 20, 50, 200, 1000]);
    expect(axisTicks(1)).toEqual([0, 1]);
    expect(axisTicks(5)).toEqual([0, 5]);
    expect(axisTicks(20)).toEqual([0, 10, 20]);
  });
});
