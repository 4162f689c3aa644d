import type { Schemas } from '../../api/client';

export type Stats = Schemas['DashboardStats'];
export type CardPreference = Schemas['DashboardCardPreference'];

interface CardBase {
  id: string;
  title: string;
  /** Whether the default layout shows it (the server's catalogue agrees). */
  defaultEnabled: boolean;
}

/** A card showing one number, linking to the list it counts. */
export interface StatCard extends CardBase {
  kind: 'stat';
  value: (s: Stats) => number;
  detail?: (s: Stats) => string;
  /** Where the number leads: the hosts (or packages) list with the matching filter. */
  href: string;
  tone: 'neutral' | 'warning' | 'danger' | 'good';
}

/** A wide card: a chart or a list. */
export interface PanelCard extends CardBase {
  kind: 'osDistribution' | 'updateTrends' | 'recentActivity' | 'serverHealth';
}

export type DashboardCard = StatCard | PanelCard;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Every card the dashboard can show, in default order; ids match the server's catalogue. */
export const CARDS: readonly DashboardCard[] = [
  {
    id: 'totalHosts',
    title: 'Total Hosts',
    kind: 'stat',
    defaultEnabled: true,
    value: (s) => s.totalHosts,
    detail: (s) => `${s.activeHosts} active, ${s.pendingHosts} pending`,
    href: '/hosts',
    tone: 'neutral',
  },
  {
    id: 'hostsNeedingUpdates',
    title: 'Needs Updating',
    kind: 'stat',
    defaultEnabled: true,
    value: (s) => s.hostsNeedingUpdates,
    detail: (s) => `${plural(s.totalOutdatedPackages, 'package')} outdated`,
    href: '/hosts?updates=1',
    tone: 'warning',
  },
  {
    id: 'securityUpdates',
    title: 'Security Updates',
    kind: 'stat',
    defaultEnabled: true,
    value: (s) => s.securityUpdates,
    detail: (s) => `on ${plural(s.hostsWithSecurityUpdates, 'host')}`,
    href: '/hosts?security=1',
    tone: 'danger',
  },
  {
    id: 'upToDateHosts',
    title: 'Up to Date',
    kind: 'stat',
    defaultEnabled: true,
    value: (s) => s.upToDateHosts,
    detail: (s) => (s.totalHosts > 0 ? `${Math.round((100 * s.upToDateHosts) / s.totalHosts)}% of hosts` : 'no hosts yet'),
    href: '/hosts?sort=updates',
    tone: 'good',
  },
  {
    id: 'hostsNeedingReboot',
    title: 'Needs Reboots',
    kind: 'stat',
    defaultEnabled: true,
    value: (s) => s.hostsNeedingReboot,
    href: '/hosts?reboot=1',
    tone: 'warning',
  },
  {
    id: 'offlineHosts',
    title: 'Offline',
    kind: 'stat',
    defaultEnabled: true,
    value: (s) => s.offlineHosts,
    detail: () => 'stopped checking in',
    href: '/hosts?status=offline',
    tone: 'danger',
  },
  {
    id: 'pendingHosts',
    title: 'Pending',
    kind: 'stat',
    defaultEnabled: false,
    value: (s) => s.pendingHosts,
    detail: () => 'agent not reported yet',
    href: '/hosts?status=pending',
    tone: 'neutral',
  },
  {
    id: 'totalOutdatedPackages',
    title: 'Outdated Packages',
    kind: 'stat',
    defaultEnabled: false,
    value: (s) => s.totalOutdatedPackages,
    detail: () => 'distinct packages',
    href: '/packages?updates=1',
    tone: 'warning',
  },
  { id: 'osDistribution', title: 'OS Distribution', kind: 'osDistribution', defaultEnabled: true },
  { id: 'updateTrends', title: 'Update Trends', kind: 'updateTrends', defaultEnabled: true },
  { id: 'recentActivity', title: 'Recent Activity', kind: 'recentActivity', defaultEnabled: true },
  { id: 'serverHealth', title: 'Server Health', kind: 'serverHealth', defaultEnabled: true },
];

const byId = new Map(CARDS.map((c) => [c.id, c]));

export function cardById(id: string): DashboardCard | undefined {
  return byId.get(id);
}

export interface LayoutEntry {
  id: string;
  enabled: boolean;
}

export function defaultLayout(): LayoutEntry[] {
  return CARDS.map((c) => ({ id: c.id, enabled: c.defaultEnabled }));
}

/**
 * The layout to show from the server's preferences: its known cards in order, then any
 * card this dashboard knows that the server did not list, with its default visibility.
 */
export function mergeLayout(prefs: readonly CardPreference[]): LayoutEntry[] {
  const sorted = [...prefs].sort((a, b) => a.order - b.order);
  const seen = new Set<string>();
  const out: LayoutEntry[] = [];
  for (const p of sorted) {
    if (!byId.has(p.cardId) || seen.has(p.cardId)) continue;
    seen.add(p.cardId);
    out.push({ id: p.cardId, enabled: p.enabled });
  }
  for (const c of CARDS) if (!seen.has(c.id)) out.push({ id: c.id, enabled: c.defaultEnabled });
  return out;
}

/** The layout as the server stores it. */
export function toPreferences(layout: readonly LayoutEntry[]): CardPreference[] {
  return layout.map((e, order) => ({ cardId: e.id, enabled: e.enabled, order }));
}

/** Moves the entry at index by delta (−1 up, +1 down), if there is room. */
export function move<T>(list: readonly T[], index: number, delta: number): T[] {
  const to = index + delta;
  if (index < 0 || index >= list.length || to < 0 || to >= list.length) return [...list];
  const out = [...list];
  const [item] = out.splice(index, 1);
  out.splice(to, 0, item as T);
  return out;
}
