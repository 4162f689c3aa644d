import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, NavLink, Route, Routes, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { EmptyState } from '../../components/EmptyState';
import { Button, FormError, SelectField } from '../../components/forms';
import { BellIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { formatDateTime } from '../../format';
import { usePageTitle } from '../../usePageTitle';
import NotFound from '../NotFound';
import AlertConfig from './AlertConfig';
import AlertDetail from './AlertDetail';
import { SeverityBadge, StatusBadge } from './Badges';
import { alertsKey, capitalise, SEVERITIES, TYPE_LABELS, useAssignees, type AlertType } from './queries';

export const PAGE_SIZE = 50;

/** The alerts section: the report (list with filters), one alert, and the per-type configuration. */
export default function Alerts() {
  return (
    <Routes>
      <Route index element={<AlertList />} />
      <Route path="config" element={<AlertConfig />} />
      <Route path=":alertId" element={<AlertDetail />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

export function AlertTabs() {
  const tabs = [
    { to: '/alerts', label: 'Alerts', end: true },
    { to: '/alerts/config', label: 'Configuration', end: false },
  ];
  return (
    <nav aria-label="Alert sections" className="mb-6 flex gap-1 border-b border-slate-200 dark:border-slate-800">
      {tabs.map((t) => (
        <NavLink
          key={t.to}
          to={t.to}
          end={t.end}
          className={({ isActive }) =>
            `-mb-px border-b-2 px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-blue-500 ${
              isActive
                ? 'border-blue-600 text-blue-700 dark:border-blue-400 dark:text-blue-300'
                : 'border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white'
            }`
          }
        >
          {t.label}
        </NavLink>
      ))}
    </nav>
  );
}

export interface AlertFilters {
  status: string;
  severity: string;
  type: string;
  assigned: string;
  page: number;
}

export function readAlertFilters(params: URLSearchParams): AlertFilters {
  const page = Number(params.get('page') ?? '1');
  return {
    // Unresolved alerts are what people look for first.
    status: params.get('status') ?? 'active',
    severity: params.get('severity') ?? '',
    type: params.get('type') ?? '',
    assigned: params.get('assigned_to') ?? '',
    page: Number.isInteger(page) && page > 0 ? page : 1,
  };
}

function AlertList() {
  usePageTitle('Alerts');
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const f = readAlertFilters(params);
  const manage = can('can_manage_alerts');
  const assignees = useAssignees(manage);

  const summary = useQuery({
    queryKey: [...alertsKey, 'summary'],
    queryFn: async ({ signal }) => unwrap(await api.GET('/alerts/summary', { signal })),
    refetchInterval: 30_000,
  });
  const list = useQuery({
    queryKey: [...alertsKey, 'list', f],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET('/alerts', {
          signal,
          params: {
            query: {
              status: (f.status || undefined) as never,
              severity: (f.severity || undefined) as never,
              type: (f.type || undefined) as never,
              assigned_to: f.assigned || undefined,
              limit: PAGE_SIZE,
              offset: (f.page - 1) * PAGE_SIZE,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  });

  const update = (changes: Record<string, string>) => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [k, v] of Object.entries(changes)) {
          if (v || k === 'status') next.set(k, v);
          else next.delete(k);
        }
        if (!('page' in changes)) next.delete('page');
        return next;
      },
      { replace: !('page' in changes) },
    );
  };

  const total = list.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const filtering = f.status !== 'active' || Boolean(f.severity || f.type || f.assigned);

  return (
    <>
      <PageHeader title="Alerts" description="Hosts that went down, need updates or a reboot, and what the server noticed about itself." />
      <AlertTabs />
      {summary.data && (
        <dl className="mb-6 grid grid-cols-2 gap-3 sm:grid-cols-4" aria-label="Alert summary">
          {[
            ['Open', summary.data.open],
            ['Acknowledged', summary.data.acknowledged],
            ['Critical (unresolved)', summary.data.by_severity.critical],
            ['Resolved in 24 h', summary.data.resolved_last_24h],
          ].map(([label, value]) => (
            <div key={label} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
              <dt className="text-xs text-slate-500 uppercase dark:text-slate-400">{label}</dt>
              <dd className="mt-1 text-2xl font-semibold">{value}</dd>
            </div>
          ))}
        </dl>
      )}
      <form role="search" aria-label="Filter alerts" onSubmit={(e) => e.preventDefault()} className="mb-4 grid gap-3 sm:grid-cols-2 xl:grid-cols-4">
        <SelectField label="Status" value={f.status} onChange={(e) => update({ status: e.target.value })}>
          <option value="active">Unresolved</option>
          <option value="">All</option>
          {['open', 'acknowledged', 'silenced', 'resolved'].map((s) => (
            <option key={s} value={s}>
              {capitalise(s)}
            </option>
          ))}
        </SelectField>
        <SelectField label="Severity" value={f.severity} onChange={(e) => update({ severity: e.target.value })}>
          <option value="">Any severity</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {capitalise(s)}
            </option>
          ))}
        </SelectField>
        <SelectField label="Type" value={f.type} onChange={(e) => update({ type: e.target.value })}>
          <option value="">Any type</option>
          {(Object.keys(TYPE_LABELS) as AlertType[]).map((t) => (
            <option key={t} value={t}>
              {TYPE_LABELS[t]}
            </option>
          ))}
        </SelectField>
        <SelectField label="Assigned to" value={f.assigned} onChange={(e) => update({ assigned_to: e.target.value })}>
          <option value="">Anyone</option>
          <option value="me">Me</option>
          <option value="unassigned">Nobody</option>
          {assignees.data?.map((u) => (
            <option key={u.id} value={u.id}>
              {u.username}
            </option>
          ))}
        </SelectField>
      </form>
      {filtering && (
        <div className="mb-4">
          <Button size="sm" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
            Show unresolved alerts
          </Button>
        </div>
      )}
      {list.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading alerts…
        </p>
      )}
      {list.isError && <FormError>{list.error.message}</FormError>}
      {list.data && list.data.alerts.length === 0 && (
        <EmptyState icon={BellIcon} title={filtering ? 'No alert matches these filters.' : 'No unresolved alerts.'}>
          <p>
            {filtering
              ? 'Clear a filter or pick another status.'
              : 'Alerts appear here when a host stops checking in, needs security updates or a reboot, or when an update is available. Tune what fires on the Configuration tab.'}
          </p>
        </EmptyState>
      )}
      {list.data && list.data.alerts.length > 0 && (
        <>
          <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <table className="w-full min-w-[48rem] text-left text-sm">
              <caption className="sr-only">Alerts</caption>
              <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
                <tr>
                  {['Alert', 'Host', 'Severity', 'Status', 'Assigned to', 'Raised'].map((h) => (
                    <th key={h} scope="col" className="px-4 py-3 font-semibold">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {list.data.alerts.map((a) => (
                  <tr key={a.id} className="align-top">
                    <td className="px-4 py-2.5">
                      <Link to={`/alerts/${a.id}`} className="font-medium text-blue-700 hover:underline dark:text-blue-300">
                        {a.title}
                      </Link>
                      <span className="block text-xs text-slate-500 dark:text-slate-400">{TYPE_LABELS[a.type]}</span>
                    </td>
                    <td className="px-4 py-2.5">{a.host_name || '—'}</td>
                    <td className="px-4 py-2.5">
                      <SeverityBadge severity={a.severity} />
                    </td>
                    <td className="px-4 py-2.5">
                      <StatusBadge alert={a} />
                    </td>
                    <td className="px-4 py-2.5">{a.assigned_to?.username ?? '—'}</td>
                    <td className="px-4 py-2.5 whitespace-nowrap">
                      <time dateTime={a.created_at}>{formatDateTime(a.created_at)}</time>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav aria-label="Alert pages" className="mt-4 flex flex-wrap items-center justify-between gap-3 text-sm">
            <p>{total} alerts</p>
            <div className="flex items-center gap-2">
              <Button size="sm" disabled={f.page <= 1} onClick={() => update({ page: String(f.page - 1) })}>
                Newer
              </Button>
              <span>
                Page {f.page} of {pages}
              </span>
              <Button size="sm" disabled={f.page >= pages} onClick={() => update({ page: String(f.page + 1) })}>
                Older
              </Button>
            </div>
          </nav>
        </>
      )}
    </>
  );
}
