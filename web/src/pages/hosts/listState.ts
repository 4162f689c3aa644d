import type { HostSummary } from './queries';

export type SortKey = 'name' | 'lastCheckin' | 'updates' | 'security' | 'os' | 'status';
export type StatusFilter = '' | 'pending' | 'active' | 'offline';

/** The host list's search, filters, sort, page and display options. */
export interface ListState {
  search: string;
  /** A group id, "none" for hosts in no group, or "" for any. */
  group: string;
  status: StatusFilter;
  os: string;
  needsUpdates: boolean;
  security: boolean;
  reboot: boolean;
  sort: SortKey;
  order: 'asc' | 'desc';
  page: number;
  pageSize: number;
  /** Visible optional columns, in COLUMNS order. */
  columns: ColumnKey[];
  /** Rows grouped by host group. */
  groupBy: boolean;
}

export type ColumnKey = 'status' | 'os' | 'ip' | 'groups' | 'updates' | 'security' | 'reboot' | 'agent' | 'lastCheckin';

/** The optional columns of the host list; the name column is always shown. */
export const COLUMNS: { key: ColumnKey; label: string; sort?: SortKey }[] = [
  { key: 'status', label: 'Status', sort: 'status' },
  { key: 'os', label: 'Operating system', sort: 'os' },
  { key: 'ip', label: 'IP address' },
  { key: 'groups', label: 'Groups' },
  { key: 'updates', label: 'Updates', sort: 'updates' },
  { key: 'security', label: 'Security', sort: 'security' },
  { key: 'reboot', label: 'Reboot' },
  { key: 'agent', label: 'Agent' },
  { key: 'lastCheckin', label: 'Last check-in', sort: 'lastCheckin' },
];

export const DEFAULT_COLUMNS: ColumnKey[] = ['status', 'os', 'groups', 'updates', 'security', 'lastCheckin'];
const SORTS: SortKey[] = ['name', 'lastCheckin', 'updates', 'security', 'os', 'status'];
const PAGE_SIZES = [25, 50, 100, 200];

export const DEFAULT_STATE: ListState = {
  search: '',
  group: '',
  status: '',
  os: '',
  needsUpdates: false,
  security: false,
  reboot: false,
  sort: 'name',
  order: 'asc',
  page: 1,
  pageSize: 50,
  columns: DEFAULT_COLUMNS,
  groupBy: false,
};

function flag(v: string | null): boolean {
  return v === '1' || v === 'true';
}

/** Reads a list state from URL search parameters (or a saved view), ignoring what is not valid. */
export function stateFromParams(p: URLSearchParams): ListState {
  const s: ListState = { ...DEFAULT_STATE };
  s.search = p.get('search') ?? '';
  s.group = p.get('group') ?? '';
  const status = p.get('status') ?? '';
  s.status = (['pending', 'active', 'offline'].includes(status) ? status : '') as StatusFilter;
  s.os = p.get('os') ?? '';
  s.needsUpdates = flag(p.get('updates'));
  s.security = flag(p.get('security'));
  s.reboot = flag(p.get('reboot'));
  const sort = p.get('sort') as SortKey | null;
  if (sort && SORTS.includes(sort)) s.sort = sort;
  if (p.get('order') === 'desc') s.order = 'desc';
  const page = Number(p.get('page'));
  if (Number.isInteger(page) && page > 1) s.page = page;
  const size = Number(p.get('size'));
  if (PAGE_SIZES.includes(size)) s.pageSize = size;
  const cols = p.get('cols');
  if (cols !== null) {
    const wanted = new Set(cols.split(','));
    s.columns = COLUMNS.filter((c) => wanted.has(c.key)).map((c) => c.key);
  }
  s.groupBy = flag(p.get('groupBy'));
  return s;
}

/** Writes a list state as URL search parameters, leaving defaults out. */
export function stateToParams(s: ListState): URLSearchParams {
  const p = new URLSearchParams();
  if (s.search) p.set('search', s.search);
  if (s.group) p.set('group', s.group);
  if (s.status) p.set('status', s.status);
  if (s.os) p.set('os', s.os);
  if (s.needsUpdates) p.set('updates', '1');
  if (s.security) p.set('security', '1');
  if (s.reboot) p.set('reboot', '1');
  if (s.sort !== 'name') p.set('sort', s.sort);
  if (s.order !== 'asc') p.set('order', s.order);
  if (s.page > 1) p.set('page', String(s.page));
  if (s.pageSize !== DEFAULT_STATE.pageSize) p.set('size', String(s.pageSize));
  if (s.columns.join(',') !== DEFAULT_COLUMNS.join(',')) p.set('cols', s.columns.join(','));
  if (s.groupBy) p.set('groupBy', '1');
  return p;
}

/** A saved view's state object holds the URL parameters of the list. */
export function viewState(s: ListState): Record<string, string> {
  const out: Record<string, string> = {};
  const p = stateToParams({ ...s, page: 1 });
  p.forEach((v, k) => (out[k] = v));
  return out;
}

export function stateFromView(state: Record<string, unknown>): ListState {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(state)) if (typeof v === 'string') p.set(k, v);
  return stateFromParams(p);
}

/** Clicking a sortable column: the same column flips the order, another starts ascending (descending for counts). */
export function nextSort(s: ListState, key: SortKey): Pick<ListState, 'sort' | 'order'> {
  if (s.sort === key) return { sort: key, order: s.order === 'asc' ? 'desc' : 'asc' };
  const countsFirst = key === 'updates' || key === 'security' || key === 'lastCheckin';
  return { sort: key, order: countsFirst ? 'desc' : 'asc' };
}

/** Whether any filter narrows the list (the empty state says so). */
export function isFiltered(s: ListState): boolean {
  return Boolean(s.search || s.group || s.status || s.os || s.needsUpdates || s.security || s.reboot);
}

export interface HostGroupSection {
  key: string;
  name: string;
  color?: string;
  hosts: HostSummary[];
}

/**
 * Splits a page of hosts into sections by host group, in group-name order, with hosts in
 * no group last. A host in two groups appears in both.
 */
export function groupHosts(hosts: HostSummary[]): HostGroupSection[] {
  const sections = new Map<string, HostGroupSection>();
  const none: HostGroupSection = { key: 'none', name: 'No group', hosts: [] };
  for (const h of hosts) {
    if (h.groups.length === 0) none.hosts.push(h);
    for (const g of h.groups) {
      let s = sections.get(g.id);
      if (!s) {
        s = { key: g.id, name: g.name, color: g.color, hosts: [] };
        sections.set(g.id, s);
      }
      s.hosts.push(h);
    }
  }
  const out = [...sections.values()].sort((a, b) => a.name.localeCompare(b.name));
  if (none.hosts.length > 0) out.push(none);
  return out;
}
