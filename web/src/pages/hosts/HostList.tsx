import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { Button, Checkbox, FormError, SelectField, TextField } from '../../components/forms';
import { splitErrors } from '../../components/formErrors';
import { HostsIcon, PlusIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { formatDateTime } from '../../format';
import { usePageTitle } from '../../usePageTitle';
import {
  COLUMNS,
  groupHosts,
  isFiltered,
  nextSort,
  stateFromParams,
  stateFromView,
  stateToParams,
  viewState,
  type ColumnKey,
  type ListState,
  type SortKey,
} from './listState';
import { dropFromLists, hostsKey, hostViewsKey, useHostFacets, useHostList, useHostViews, type GroupRef, type HostSummary } from './queries';
import { HostStatusBadge } from './StatusBadge';

export default function HostList() {
  usePageTitle('Hosts');
  const { can } = useAuth();
  const manage = can('can_manage_hosts');
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => stateFromParams(params), [params]);
  const list = useHostList(state);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [action, setAction] = useState<'assign' | 'delete' | 'save-view' | null>(null);

  const update = (change: Partial<ListState>, keepPage = false) => {
    const next = { ...state, ...change };
    if (!keepPage) next.page = 1;
    setParams(stateToParams(next), { replace: true });
  };

  // Typing updates the field at once and the query (and URL) after a pause.
  const [searchText, setSearchText] = useState(state.search);
  const wanted = searchText.trim();
  useEffect(() => {
    if (wanted === state.search) return;
    const timer = window.setTimeout(() => update({ search: wanted }), 250);
    return () => window.clearTimeout(timer);
    // update only wraps setParams with the current state, so it is left out.
  }, [wanted, state.search]);

  const data = list.data;
  const hosts = data?.hosts ?? [];
  const facets = useHostFacets().data;
  const visible = COLUMNS.filter((c) => state.columns.includes(c.key));
  const pageIds = hosts.map((h) => h.id);
  const allSelected = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const n = new Set(s);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });
  const selectedHosts = [...selected];

  const header = (
    <tr>
      {manage && (
        <th scope="col" className="w-10 px-4 py-3">
          <input
            type="checkbox"
            aria-label="Select every host on this page"
            className="h-4 w-4 accent-blue-600"
            checked={allSelected}
            onChange={(e) => setSelected(e.target.checked ? new Set([...selected, ...pageIds]) : new Set([...selected].filter((id) => !pageIds.includes(id))))}
          />
        </th>
      )}
      <SortHeader label="Host" sortKey="name" state={state} onSort={(k) => update(nextSort(state, k))} />
      {visible.map((c) =>
        c.sort ? (
          <SortHeader key={c.key} label={c.label} sortKey={c.sort} state={state} onSort={(k) => update(nextSort(state, k))} />
        ) : (
          <th key={c.key} scope="col" className="px-4 py-3 font-semibold">
            {c.label}
          </th>
        ),
      )}
    </tr>
  );

  const row = (h: HostSummary, section = '') => (
    <tr key={section + h.id} className="hover:bg-slate-50 dark:hover:bg-slate-800/50">
      {manage && (
        <td className="px-4 py-3">
          <input
            type="checkbox"
            aria-label={`Select ${h.friendlyName}`}
            className="h-4 w-4 accent-blue-600"
            checked={selected.has(h.id)}
            onChange={(e) => toggle(h.id, e.target.checked)}
          />
        </td>
      )}
      <td className="px-4 py-3">
        <Link to={`/hosts/${h.id}`} className="font-medium text-blue-700 hover:underline dark:text-blue-300">
          {h.friendlyName}
        </Link>
        {h.hostname && h.hostname !== h.friendlyName && <p className="text-xs text-slate-500 dark:text-slate-400">{h.hostname}</p>}
      </td>
      {visible.map((c) => (
        <td key={c.key} className="px-4 py-3 whitespace-nowrap">
          {cell(h, c.key)}
        </td>
      ))}
    </tr>
  );

  return (
    <>
      <PageHeader
        title="Hosts"
        description="Every enrolled host with its operating system, pending updates and last check-in."
        actions={
          manage && (
            <Link
              to="/hosts/new"
              className="inline-flex items-center gap-2 rounded-md bg-blue-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-blue-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500"
            >
              <PlusIcon className="h-4 w-4" />
              Add host
            </Link>
          )
        }
      />

      <SavedViews onApply={(s) => setParams(stateToParams(s), { replace: true })} onSave={() => setAction('save-view')} />

      <div className="mb-3 grid gap-3 sm:grid-cols-2 lg:grid-cols-[minmax(0,2fr)_repeat(3,minmax(0,1fr))]">
        <TextField
          label="Search"
          type="search"
          placeholder="Name, hostname or IP address"
          value={searchText}
          onChange={(e) => setSearchText(e.target.value)}
        />
        <SelectField label="Group" value={state.group} onChange={(e) => update({ group: e.target.value })}>
          <option value="">All groups</option>
          {facets?.groups.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name} ({g.hosts})
            </option>
          ))}
          <option value="none">No group ({facets?.ungrouped ?? 0})</option>
        </SelectField>
        <SelectField label="Status" value={state.status} onChange={(e) => update({ status: e.target.value as ListState['status'] })}>
          <option value="">Any status</option>
          <option value="active">Active</option>
          <option value="pending">Pending</option>
          <option value="offline">Offline</option>
        </SelectField>
        <SelectField label="Operating system" value={state.os} onChange={(e) => update({ os: e.target.value })}>
          <option value="">Any</option>
          {facets?.osTypes.map((o) => (
            <option key={o.osType} value={o.osType}>
              {o.osType} ({o.hosts})
            </option>
          ))}
        </SelectField>
      </div>
      <div className="mb-4 flex flex-wrap items-center gap-x-6 gap-y-2">
        <Checkbox label="Needs updates" checked={state.needsUpdates} onChange={(e) => update({ needsUpdates: e.target.checked })} />
        <Checkbox label="Security updates" checked={state.security} onChange={(e) => update({ security: e.target.checked })} />
        <Checkbox label="Reboot required" checked={state.reboot} onChange={(e) => update({ reboot: e.target.checked })} />
        <Checkbox label="Group by host group" checked={state.groupBy} onChange={(e) => update({ groupBy: e.target.checked }, true)} />
        <ColumnChooser columns={state.columns} onChange={(columns) => update({ columns }, true)} />
      </div>

      {manage && selected.size > 0 && (
        <div
          role="region"
          aria-label="Bulk actions"
          className="mb-3 flex flex-wrap items-center gap-3 rounded-lg border border-blue-200 bg-blue-50 px-4 py-2 text-sm dark:border-blue-900 dark:bg-blue-950"
        >
          <span>
            {selected.size} {selected.size === 1 ? 'host' : 'hosts'} selected
          </span>
          <Button size="sm" onClick={() => setAction('assign')}>
            Assign to group
          </Button>
          <Button size="sm" variant="danger" onClick={() => setAction('delete')}>
            Delete
          </Button>
          <Button size="sm" variant="ghost" onClick={() => setSelected(new Set())}>
            Clear selection
          </Button>
        </div>
      )}

      {list.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading hosts…
        </p>
      )}
      {list.isError && <FormError>{list.error.message}</FormError>}
      {data && hosts.length === 0 && (
        <EmptyState icon={HostsIcon} title={isFiltered(state) ? 'No host matches these filters.' : 'No hosts yet.'}>
          {isFiltered(state) ? (
            <p>Clear the search or change the filters.</p>
          ) : manage ? (
            <p>Add a host and run the install command it shows on the machine; it appears here as soon as its agent reports.</p>
          ) : (
            <p>Hosts appear here once an administrator adds them.</p>
          )}
        </EmptyState>
      )}
      {data && hosts.length > 0 && (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
          <table className="w-full min-w-[48rem] text-left text-sm">
            <caption className="sr-only">
              {data.total} {data.total === 1 ? 'host' : 'hosts'}
            </caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
              {header}
            </thead>
            {state.groupBy ? (
              groupHosts(hosts).map((sec) => (
                <tbody key={sec.key} className="divide-y divide-slate-200 dark:divide-slate-800">
                  <tr className="bg-slate-100 dark:bg-slate-800">
                    <th scope="rowgroup" colSpan={visible.length + (manage ? 2 : 1)} className="px-4 py-2 text-left text-xs font-semibold">
                      {sec.color && <span className="mr-2 inline-block h-2.5 w-2.5 rounded-full" style={{ backgroundColor: sec.color }} />}
                      {sec.name} · {sec.hosts.length}
                    </th>
                  </tr>
                  {sec.hosts.map((h) => row(h, sec.key))}
                </tbody>
              ))
            ) : (
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">{hosts.map((h) => row(h))}</tbody>
            )}
          </table>
        </div>
      )}
      {data && data.total > 0 && (
        <Pagination
          page={state.page}
          pageSize={state.pageSize}
          total={data.total}
          onPage={(page) => update({ page }, true)}
          onPageSize={(pageSize) => update({ pageSize })}
        />
      )}

      {action === 'assign' && (
        <AssignGroupsDialog
          hostIds={selectedHosts}
          groups={facets?.groups ?? []}
          onClose={() => setAction(null)}
          onDone={() => {
            setAction(null);
            setSelected(new Set());
          }}
        />
      )}
      {action === 'delete' && (
        <BulkDeleteDialog
          hostIds={selectedHosts}
          names={hosts.filter((h) => selected.has(h.id)).map((h) => h.friendlyName)}
          onClose={() => setAction(null)}
          onDone={() => {
            setAction(null);
            setSelected(new Set());
          }}
        />
      )}
      {action === 'save-view' && <SaveViewDialog state={state} onClose={() => setAction(null)} />}
    </>
  );
}

function cell(h: HostSummary, key: ColumnKey): ReactNode {
  switch (key) {
    case 'status':
      return <HostStatusBadge status={h.status} connected={h.connected} />;
    case 'os':
      return h.osType ? `${h.osType} ${h.osVersion ?? ''}`.trim() : '—';
    case 'ip':
      return h.ip || '—';
    case 'groups':
      return <GroupChips groups={h.groups} />;
    case 'updates':
      return h.outdatedPackages > 0 ? <span className="font-semibold text-amber-700 dark:text-amber-300">{h.outdatedPackages}</span> : '0';
    case 'security':
      return h.securityUpdates > 0 ? <span className="font-semibold text-rose-700 dark:text-rose-300">{h.securityUpdates}</span> : '0';
    case 'reboot':
      return h.needsReboot ? <span className="text-amber-700 dark:text-amber-300">Required</span> : 'No';
    case 'agent':
      return h.agentVersion || '—';
    case 'lastCheckin':
      return h.lastCheckinAt ? formatDateTime(h.lastCheckinAt) : 'Never';
  }
}

export function GroupChips({ groups }: { groups: GroupRef[] }) {
  if (groups.length === 0) return <span className="text-slate-400">—</span>;
  return (
    <span className="flex flex-wrap gap-1">
      {groups.map((g) => (
        <span key={g.id} className="inline-flex items-center gap-1 rounded-full border border-slate-200 px-2 py-0.5 text-xs dark:border-slate-700">
          <span className="h-2 w-2 rounded-full" style={{ backgroundColor: g.color }} aria-hidden="true" />
          {g.name}
        </span>
      ))}
    </span>
  );
}

function SortHeader({ label, sortKey, state, onSort }: { label: string; sortKey: SortKey; state: ListState; onSort: (k: SortKey) => void }) {
  const active = state.sort === sortKey;
  return (
    <th scope="col" className="px-4 py-3 font-semibold" aria-sort={active ? (state.order === 'asc' ? 'ascending' : 'descending') : undefined}>
      <button type="button" className="inline-flex items-center gap-1 uppercase hover:text-slate-900 dark:hover:text-white" onClick={() => onSort(sortKey)}>
        {label}
        <span aria-hidden="true">{active ? (state.order === 'asc' ? '▲' : '▼') : ''}</span>
      </button>
    </th>
  );
}

function ColumnChooser({ columns, onChange }: { columns: ColumnKey[]; onChange: (c: ColumnKey[]) => void }) {
  return (
    <details className="relative text-sm">
      <summary className="cursor-pointer rounded-md border border-slate-300 px-3 py-1.5 font-medium dark:border-slate-700">Columns</summary>
      <fieldset className="absolute z-10 mt-1 w-56 space-y-2 rounded-md border border-slate-200 bg-white p-3 shadow-lg dark:border-slate-700 dark:bg-slate-900">
        <legend className="sr-only">Visible columns</legend>
        {COLUMNS.map((c) => (
          <Checkbox
            key={c.key}
            label={c.label}
            checked={columns.includes(c.key)}
            onChange={(e) => {
              const set = new Set(columns);
              if (e.target.checked) set.add(c.key);
              else set.delete(c.key);
              onChange(COLUMNS.filter((x) => set.has(x.key)).map((x) => x.key));
            }}
          />
        ))}
      </fieldset>
    </details>
  );
}

function Pagination({
  page,
  pageSize,
  total,
  onPage,
  onPageSize,
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (p: number) => void;
  onPageSize: (s: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const from = Math.min(total, (page - 1) * pageSize + 1);
  const to = Math.min(total, page * pageSize);
  return (
    <nav aria-label="Pages" className="mt-3 flex flex-wrap items-center justify-between gap-3 text-sm">
      <p>
        {from}–{to} of {total}
      </p>
      <div className="flex items-center gap-2">
        <label className="flex items-center gap-2">
          Per page
          <select
            className="rounded-md border border-slate-300 bg-white px-2 py-1 dark:border-slate-700 dark:bg-slate-950"
            value={pageSize}
            onChange={(e) => onPageSize(Number(e.target.value))}
          >
            {[25, 50, 100, 200].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <Button size="sm" disabled={page <= 1} onClick={() => onPage(page - 1)}>
          Previous
        </Button>
        <span>
          Page {page} of {pages}
        </span>
        <Button size="sm" disabled={page >= pages} onClick={() => onPage(page + 1)}>
          Next
        </Button>
      </div>
    </nav>
  );
}

function SavedViews({ onApply, onSave }: { onApply: (s: ListState) => void; onSave: () => void }) {
  const views = useHostViews();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [current, setCurrent] = useState('');
  const remove = useMutation({
    mutationFn: async (id: string) => unwrap(await api.DELETE('/hosts/views/{viewId}', { params: { path: { viewId: id } } })),
    onSuccess: () => {
      setCurrent('');
      toast.show('View deleted.', { kind: 'success' });
      void queryClient.invalidateQueries({ queryKey: hostViewsKey });
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const list = views.data ?? [];
  return (
    <div className="mb-4 flex flex-wrap items-end gap-2">
      <SelectField
        label="Saved view"
        className="min-w-48"
        value={current}
        onChange={(e) => {
          setCurrent(e.target.value);
          const v = list.find((x) => x.id === e.target.value);
          if (v) onApply({ ...stateFromView(v.state), page: 1 });
        }}
      >
        <option value="">{list.length === 0 ? 'No saved views' : 'Choose a view…'}</option>
        {list.map((v) => (
          <option key={v.id} value={v.id}>
            {v.name}
          </option>
        ))}
      </SelectField>
      <Button onClick={onSave}>Save view…</Button>
      {current && (
        <Button variant="ghost" busy={remove.isPending} onClick={() => remove.mutate(current)}>
          Delete view
        </Button>
      )}
    </div>
  );
}

function SaveViewDialog({ state, onClose }: { state: ListState; onClose: () => void }) {
  const [name, setName] = useState('');
  const toast = useToast();
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: async () => unwrap(await api.POST('/hosts/views', { body: { name, state: viewState(state) } })),
    onSuccess: (v) => {
      toast.show(`View “${v.name}” saved.`, { kind: 'success' });
      void queryClient.invalidateQueries({ queryKey: hostViewsKey });
      onClose();
    },
  });
  const errors = splitErrors(save.error, ['name'] as const);
  return (
    <Dialog
      title="Save view"
      description="Saves the search, filters, sort, columns and grouping under a name only you see. A view with the same name is replaced."
      onClose={onClose}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save
          </Button>
        </>
      }
    >
      <FormError>{errors.form}</FormError>
      <TextField label="Name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} autoFocus />
    </Dialog>
  );
}

function AssignGroupsDialog({
  hostIds,
  groups,
  onClose,
  onDone,
}: {
  hostIds: string[];
  groups: { id: string; name: string }[];
  onClose: () => void;
  onDone: () => void;
}) {
  const [group, setGroup] = useState('');
  const [mode, setMode] = useState<'add' | 'remove' | 'replace'>('add');
  const toast = useToast();
  const queryClient = useQueryClient();
  const assign = useMutation({
    mutationFn: async () =>
      unwrap(await api.PUT('/hosts/bulk/groups', { body: { hostIds, groupIds: group ? [group] : [], mode } })),
    onSuccess: (res) => {
      toast.show(res.message, { kind: 'success' });
      void queryClient.invalidateQueries({ queryKey: hostsKey });
      onDone();
    },
  });
  const errors = splitErrors(assign.error, ['groupIds'] as const);
  return (
    <Dialog
      title={`Assign ${hostIds.length} ${hostIds.length === 1 ? 'host' : 'hosts'} to a group`}
      onClose={onClose}
      onSubmit={(e) => {
        e.preventDefault();
        assign.mutate();
      }}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={assign.isPending}>
            Apply
          </Button>
        </>
      }
    >
      <FormError>{errors.form}</FormError>
      {groups.length === 0 ? (
        <p className="text-sm">There are no host groups yet. Create one under Host Groups first.</p>
      ) : (
        <div className="space-y-3">
          <SelectField label="Group" value={group} onChange={(e) => setGroup(e.target.value)} error={errors.fields.groupIds} required={mode !== 'replace'}>
            <option value="">{mode === 'replace' ? 'No group' : 'Choose a group…'}</option>
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </SelectField>
          <SelectField label="How" value={mode} onChange={(e) => setMode(e.target.value as typeof mode)}>
            <option value="add">Add to the group (keep other groups)</option>
            <option value="remove">Remove from the group</option>
            <option value="replace">Make it their only group</option>
          </SelectField>
        </div>
      )}
    </Dialog>
  );
}

function BulkDeleteDialog({ hostIds, names, onClose, onDone }: { hostIds: string[]; names: string[]; onClose: () => void; onDone: () => void }) {
  const toast = useToast();
  const queryClient = useQueryClient();
  const del = useMutation({
    mutationFn: async () => unwrap(await api.POST('/hosts/bulk/delete', { body: { hostIds } })),
    onSuccess: (res) => {
      toast.show(res.message, { kind: 'success' });
      dropFromLists(queryClient, hostIds);
      void queryClient.invalidateQueries({ queryKey: hostsKey });
      onDone();
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  return (
    <ConfirmDialog
      title={`Delete ${hostIds.length} ${hostIds.length === 1 ? 'host' : 'hosts'}?`}
      confirmLabel="Delete"
      busy={del.isPending}
      onConfirm={() => del.mutate()}
      onClose={onClose}
    >
      <p className="text-sm">
        Their packages, report history and group memberships are deleted, and their agents are refused from now on. This cannot be undone.
      </p>
      {names.length > 0 && <p className="mt-2 text-sm font-medium">{names.slice(0, 10).join(', ')}{names.length > 10 ? ', …' : ''}</p>}
    </ConfirmDialog>
  );
}
