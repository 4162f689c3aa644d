import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { EmptyState } from '../../components/EmptyState';
import { Button, Card, Checkbox, FormError, TextField } from '../../components/forms';
import { splitErrors } from '../../components/formErrors';
import { PackagesIcon, RefreshIcon, RepositoriesIcon } from '../../components/icons';
import { useToast } from '../../components/Toasts';
import { formatDateTime } from '../../format';
import { hostKey, useHostHistory, useHostPackages, useHostRepositories, type HostDetail } from './queries';

type Props = { host: HostDetail };

function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-[max-content_1fr]">
      {rows.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="font-medium text-slate-600 dark:text-slate-400">{k}</dt>
          <dd className="break-words">{v === undefined || v === null || v === '' ? '—' : v}</dd>
        </div>
      ))}
    </dl>
  );
}

function Stat({ label, value, tone }: { label: string; value: ReactNode; tone?: 'warn' | 'danger' }) {
  const color = tone === 'danger' ? 'text-rose-700 dark:text-rose-300' : tone === 'warn' ? 'text-amber-700 dark:text-amber-300' : '';
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <p className="text-xs font-medium text-slate-500 uppercase dark:text-slate-400">{label}</p>
      <p className={`mt-1 text-2xl font-semibold ${color}`}>{value}</p>
    </div>
  );
}

export function OverviewTab({ host: h }: Props) {
  return (
    <div className="space-y-6">
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Stat label="Packages" value={h.totalPackages} />
        <Stat label="Updates" value={h.outdatedPackages} tone={h.outdatedPackages > 0 ? 'warn' : undefined} />
        <Stat label="Security updates" value={h.securityUpdates} tone={h.securityUpdates > 0 ? 'danger' : undefined} />
        <Stat label="Repositories" value={h.totalRepos} />
      </div>
      {h.status === 'pending' && (
        <p className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
          This host has not reported yet. Run its install command on the machine (regenerate the credentials if you no longer have it).
        </p>
      )}
      <Card title="Summary">
        <Facts
          rows={[
            ['Operating system', h.osType ? `${h.osType} ${h.osVersion ?? ''}` : undefined],
            ['Hostname', h.hostname],
            ['IP address', h.ip],
            ['Agent version', h.agentVersion],
            ['Agent connection', h.presence.connected ? `Connected since ${formatDateTime(h.presence.connectedAt)}${h.presence.secure ? ' (TLS)' : ''}` : h.presence.disconnectedAt ? `Disconnected ${formatDateTime(h.presence.disconnectedAt)}${h.presence.disconnectReason ? ` (${h.presence.disconnectReason})` : ''}` : 'Never connected'],
            ['Last check-in', h.lastCheckinAt ? formatDateTime(h.lastCheckinAt) : 'Never'],
            ['Last report', h.lastReportAt ? formatDateTime(h.lastReportAt) : 'Never'],
            ['Reboot required', h.needsReboot ? `Yes${h.rebootReason ? ` — ${h.rebootReason}` : ''}` : 'No'],
            ['Added', formatDateTime(h.createdAt)],
            ['API ID', <code key="id" className="text-xs">{h.apiId}</code>],
          ]}
        />
      </Card>
    </div>
  );
}

export function SystemTab({ host: h }: Props) {
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <Card title="Software">
        <Facts
          rows={[
            ['Operating system', h.osType ? `${h.osType} ${h.osVersion ?? ''}` : undefined],
            ['Architecture', h.architecture],
            ['Running kernel', h.kernelVersion],
            ['Installed kernel', h.installedKernelVersion],
            ['SELinux', h.selinuxStatus],
            ['Package manager', h.packageManager],
            ['Machine ID', h.machineId && <code className="text-xs">{h.machineId}</code>],
          ]}
        />
      </Card>
      <Card title="Hardware and load">
        <Facts
          rows={[
            ['CPU', h.cpuModel],
            ['CPU cores', h.cpuCores],
            ['Memory', h.ramInstalled !== undefined ? `${h.ramInstalled} GB` : undefined],
            ['Swap', h.swapSize !== undefined ? `${h.swapSize} GB` : undefined],
            ['Uptime', h.systemUptime],
            ['Booted', h.bootTime && formatDateTime(h.bootTime)],
            ['Load average', h.loadAverage.length > 0 ? h.loadAverage.map((l) => l.toFixed(2)).join(' · ') : undefined],
          ]}
        />
      </Card>
      <Card title="Disks" className="lg:col-span-2">
        {h.diskDetails.length === 0 ? (
          <p className="text-sm text-slate-500">No disks reported yet.</p>
        ) : (
          <table className="w-full text-left text-sm">
            <thead className="text-xs text-slate-500 uppercase">
              <tr>
                <th scope="col" className="py-2">Device</th>
                <th scope="col" className="py-2">Size</th>
                <th scope="col" className="py-2">Mount point</th>
              </tr>
            </thead>
            <tbody>
              {h.diskDetails.map((d) => (
                <tr key={d.name + d.mountpoint} className="border-t border-slate-200 dark:border-slate-800">
                  <td className="py-2">{d.name}</td>
                  <td className="py-2">{d.size}</td>
                  <td className="py-2">{d.mountpoint}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}

type Iface = { name?: string; type?: string; macAddress?: string; mtu?: number; status?: string; linkSpeed?: number; addresses?: { address?: string; family?: string; netmask?: string }[] };

export function NetworkTab({ host: h }: Props) {
  const ifaces = h.networkInterfaces as Iface[];
  return (
    <div className="space-y-6">
      <Card title="Addresses">
        <Facts rows={[['IP address', h.ip], ['Gateway', h.gatewayIp], ['DNS servers', h.dnsServers.join(', ')]]} />
      </Card>
      <Card title="Interfaces">
        {ifaces.length === 0 ? (
          <p className="text-sm text-slate-500">No interfaces reported yet.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full min-w-[36rem] text-left text-sm">
              <thead className="text-xs text-slate-500 uppercase">
                <tr>
                  <th scope="col" className="py-2">Name</th>
                  <th scope="col" className="py-2">Type</th>
                  <th scope="col" className="py-2">MAC</th>
                  <th scope="col" className="py-2">Status</th>
                  <th scope="col" className="py-2">Addresses</th>
                </tr>
              </thead>
              <tbody>
                {ifaces.map((i, n) => (
                  <tr key={`${i.name}-${n}`} className="border-t border-slate-200 align-top dark:border-slate-800">
                    <td className="py-2 font-medium">{i.name}</td>
                    <td className="py-2">{i.type || '—'}</td>
                    <td className="py-2 font-mono text-xs">{i.macAddress || '—'}</td>
                    <td className="py-2">{i.status || '—'}</td>
                    <td className="py-2">
                      {(i.addresses ?? []).map((a) => (
                        <div key={a.address}>
                          {a.address}
                          {a.netmask ? `/${a.netmask}` : ''} <span className="text-xs text-slate-500">{a.family}</span>
                        </div>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}

export function PackagesTab({ host }: Props) {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState({ search: '', updatesOnly: false, securityOnly: false, page: 1 });
  useEffect(() => {
    const wanted = search.trim();
    if (wanted === query.search) return;
    const t = window.setTimeout(() => setQuery((q) => ({ ...q, search: wanted, page: 1 })), 250);
    return () => window.clearTimeout(t);
  }, [search, query.search]);
  const pkgs = useHostPackages(host.id, query);
  const data = pkgs.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / data.pageSize)) : 1;
  return (
    <div>
      <div className="mb-4 flex flex-wrap items-end gap-x-6 gap-y-3">
        <TextField label="Search packages" type="search" placeholder="Name or description" value={search} onChange={(e) => setSearch(e.target.value)} className="min-w-64" />
        <Checkbox label="Updates only" checked={query.updatesOnly} onChange={(e) => setQuery((q) => ({ ...q, updatesOnly: e.target.checked, page: 1 }))} />
        <Checkbox label="Security updates only" checked={query.securityOnly} onChange={(e) => setQuery((q) => ({ ...q, securityOnly: e.target.checked, page: 1 }))} />
      </div>
      {pkgs.isPending && <p role="status" className="text-sm text-slate-500">Loading packages…</p>}
      {pkgs.isError && <FormError>{pkgs.error.message}</FormError>}
      {data && data.packages.length === 0 && (
        <EmptyState icon={PackagesIcon} title={query.search || query.updatesOnly || query.securityOnly ? 'No package matches.' : 'No packages reported yet.'}>
          {host.status === 'pending' ? <p>Packages appear after the agent's first report.</p> : <p>Clear the search or the filters.</p>}
        </EmptyState>
      )}
      {data && data.packages.length > 0 && (
        <>
          <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <table className="w-full min-w-[40rem] text-left text-sm" data-testid="packages-table">
              <caption className="sr-only">{data.total} packages, security updates first</caption>
              <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950">
                <tr>
                  <th scope="col" className="px-4 py-3">Package</th>
                  <th scope="col" className="px-4 py-3">Installed</th>
                  <th scope="col" className="px-4 py-3">Available</th>
                  <th scope="col" className="px-4 py-3">Repository</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {data.packages.map((p) => (
                  <tr key={p.id}>
                    <td className="px-4 py-2">
                      <span className="font-medium">{p.name}</span>
                      {p.isSecurityUpdate && (
                        <span className="ml-2 rounded-full bg-rose-100 px-2 py-0.5 text-xs font-semibold text-rose-800 dark:bg-rose-950 dark:text-rose-200">Security</span>
                      )}
                      {p.needsUpdate && !p.isSecurityUpdate && (
                        <span className="ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-800 dark:bg-amber-950 dark:text-amber-200">Update</span>
                      )}
                      {p.description && <p className="max-w-md truncate text-xs text-slate-500">{p.description}</p>}
                    </td>
                    <td className="px-4 py-2 font-mono text-xs">{p.currentVersion}</td>
                    <td className="px-4 py-2 font-mono text-xs">{p.needsUpdate ? p.availableVersion : '—'}</td>
                    <td className="max-w-xs truncate px-4 py-2 text-xs">{p.sourceRepository || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="mt-3 flex items-center justify-between text-sm">
            <p>{data.total} packages</p>
            <div className="flex items-center gap-2">
              <Button size="sm" disabled={query.page <= 1} onClick={() => setQuery((q) => ({ ...q, page: q.page - 1 }))}>Previous</Button>
              <span>Page {query.page} of {pages}</span>
              <Button size="sm" disabled={query.page >= pages} onClick={() => setQuery((q) => ({ ...q, page: q.page + 1 }))}>Next</Button>
            </div>
          </div>
        </>
      )}
    </div>
  );
}

export function RepositoriesTab({ host }: Props) {
  const repos = useHostRepositories(host.id);
  if (repos.isPending) return <p role="status" className="text-sm text-slate-500">Loading repositories…</p>;
  if (repos.isError) return <FormError>{repos.error.message}</FormError>;
  if (repos.data.repositories.length === 0) {
    return (
      <EmptyState icon={RepositoriesIcon} title="No repositories reported yet.">
        <p>Repositories appear after the agent's first report.</p>
      </EmptyState>
    );
  }
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <table className="w-full min-w-[40rem] text-left text-sm">
        <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950">
          <tr>
            <th scope="col" className="px-4 py-3">Name</th>
            <th scope="col" className="px-4 py-3">URL</th>
            <th scope="col" className="px-4 py-3">Distribution</th>
            <th scope="col" className="px-4 py-3">Type</th>
            <th scope="col" className="px-4 py-3">Secure</th>
            <th scope="col" className="px-4 py-3">Enabled</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
          {repos.data.repositories.map((r) => (
            <tr key={r.id}>
              <td className="px-4 py-2 font-medium">{r.name || '—'}</td>
              <td className="px-4 py-2 text-xs break-all">{r.url}</td>
              <td className="px-4 py-2">{[r.distribution, r.components].filter(Boolean).join(' ')}</td>
              <td className="px-4 py-2">{r.repoType}</td>
              <td className="px-4 py-2">{r.isSecure ? 'Yes' : 'No'}</td>
              <td className="px-4 py-2">{r.isEnabled ? 'Yes' : 'No'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function HistoryTab({ host }: Props) {
  const [page, setPage] = useState(1);
  const hist = useHostHistory(host.id, page);
  if (hist.isPending) return <p role="status" className="text-sm text-slate-500">Loading history…</p>;
  if (hist.isError) return <FormError>{hist.error.message}</FormError>;
  const data = hist.data;
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  if (data.history.length === 0) return <p className="text-sm text-slate-500">No reports yet.</p>;
  return (
    <>
      <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <table className="w-full min-w-[44rem] text-left text-sm">
          <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950">
            <tr>
              <th scope="col" className="px-4 py-3">When</th>
              <th scope="col" className="px-4 py-3">Kind</th>
              <th scope="col" className="px-4 py-3">Packages</th>
              <th scope="col" className="px-4 py-3">Updates</th>
              <th scope="col" className="px-4 py-3">Security</th>
              <th scope="col" className="px-4 py-3">Changed</th>
              <th scope="col" className="px-4 py-3">Size</th>
              <th scope="col" className="px-4 py-3">Result</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
            {data.history.map((e) => (
              <tr key={e.id}>
                <td className="px-4 py-2 whitespace-nowrap">{formatDateTime(e.createdAt)}</td>
                <td className="px-4 py-2">
                  {e.reportType === 'ping' ? `Check-in asked for ${e.sections.join(', ')}` : e.reportType === 'partial' ? `Partial (${e.sections.join(', ')})` : 'Full report'}
                </td>
                <td className="px-4 py-2">{e.reportType === 'ping' ? '—' : e.totalPackages}</td>
                <td className="px-4 py-2">{e.reportType === 'ping' ? '—' : e.packagesCount}</td>
                <td className="px-4 py-2">{e.reportType === 'ping' ? '—' : e.securityCount}</td>
                <td className="px-4 py-2">{e.reportType === 'ping' ? '—' : e.changedPackages}</td>
                <td className="px-4 py-2">{e.payloadSizeKb ? `${e.payloadSizeKb.toFixed(1)} KB` : '—'}</td>
                <td className="px-4 py-2">{e.status === 'success' ? 'OK' : (e.errorMessage ?? 'Error')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="mt-3 flex items-center justify-end gap-2 text-sm">
        <Button size="sm" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</Button>
        <span>Page {page} of {pages}</span>
        <Button size="sm" disabled={page >= pages} onClick={() => setPage(page + 1)}>Next</Button>
      </div>
    </>
  );
}

export function IntegrationsTab({ host, manage }: Props & { manage: boolean }) {
  const toast = useToast();
  const queryClient = useQueryClient();
  const st = host.integrations;
  const toggle = useMutation({
    mutationFn: async (body: { docker?: boolean; compliance?: boolean }) =>
      unwrap(await api.PATCH('/hosts/{hostId}/integrations', { params: { path: { hostId: host.id } }, body })),
    onSuccess: (res) => {
      const sent =
        res.agentNotified === 'delivered'
          ? 'The agent was told at once.'
          : 'The agent picks the change up when it next connects.';
      toast.show(`Integration settings saved. ${sent}`, { kind: 'success' });
      void queryClient.invalidateQueries({ queryKey: hostKey(host.id) });
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const refresh = useMutation({
    mutationFn: async () => unwrap(await api.POST('/hosts/{hostId}/refresh-integration-status', { params: { path: { hostId: host.id } } })),
    onSuccess: (r) => toast.show(r.delivered > 0 ? 'Asked the agent to report its integration status.' : 'The agent is not connected.', { kind: r.delivered > 0 ? 'success' : 'info' }),
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const rows: { key: 'docker' | 'compliance'; label: string; hint: string }[] = [
    { key: 'docker', label: 'Docker', hint: 'Collect containers, images, volumes and networks, and watch container events.' },
    { key: 'compliance', label: 'Compliance', hint: `OpenSCAP and Docker Bench scans (mode: ${st.complianceMode}).` },
  ];
  return (
    <div className="space-y-6">
      <Card
        title="Agent integrations"
        description="Switches the agent reads from the server; a connected agent is told at once."
        actions={
          manage && (
            <Button size="sm" busy={refresh.isPending} onClick={() => refresh.mutate()}>
              <RefreshIcon className="h-4 w-4" />
              Refresh status
            </Button>
          )
        }
      >
        <div className="space-y-4">
          {rows.map((r) => {
            const status = st.statuses.find((s) => s.integration === r.key);
            return (
              <div key={r.key} className="flex flex-wrap items-start justify-between gap-3">
                <Checkbox
                  label={r.label}
                  hint={r.hint}
                  checked={st[r.key]}
                  disabled={!manage || toggle.isPending}
                  onChange={(e) => toggle.mutate({ [r.key]: e.target.checked })}
                />
                <span className="text-xs text-slate-600 dark:text-slate-400">
                  {status ? `Agent: ${status.status}${status.message ? ` — ${status.message}` : ''} (${formatDateTime(status.updatedAt)})` : 'No status reported by the agent'}
                </span>
              </div>
            );
          })}
        </div>
      </Card>
    </div>
  );
}

export function NotesTab({ host, manage }: Props & { manage: boolean }) {
  const [notes, setNotes] = useState(host.notes);
  const toast = useToast();
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: async () => unwrap(await api.PATCH('/hosts/{hostId}', { params: { path: { hostId: host.id } }, body: { notes } })),
    onSuccess: (h) => {
      queryClient.setQueryData(hostKey(host.id), h);
      toast.show('Notes saved.', { kind: 'success' });
    },
  });
  const errors = splitErrors(save.error, ['notes'] as const);
  return (
    <Card title="Notes" description="Free text for the people who look after this host: owners, maintenance windows, quirks.">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
        className="space-y-3"
      >
        <FormError>{errors.form}</FormError>
        <label htmlFor="host-notes" className="sr-only">
          Notes
        </label>
        <textarea
          id="host-notes"
          rows={8}
          maxLength={10000}
          readOnly={!manage}
          aria-invalid={errors.fields.notes ? true : undefined}
          className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm dark:border-slate-700 dark:bg-slate-950"
          value={notes}
          onChange={(e) => setNotes(e.target.value)}
        />
        {errors.fields.notes && <p className="text-sm text-rose-700 dark:text-rose-300">{errors.fields.notes}</p>}
        {manage && (
          <div className="flex justify-end">
            <Button type="submit" variant="primary" busy={save.isPending} disabled={notes === host.notes}>
              Save notes
            </Button>
          </div>
        )}
      </form>
    </Card>
  );
}

export function AgentTab({ host, manage }: Props & { manage: boolean }) {
  const toast = useToast();
  const { can } = useAuth();
  const command = useMutation({
    mutationFn: async (path: '/hosts/{hostId}/fetch-report' | '/hosts/{hostId}/force-agent-update' | '/hosts/{hostId}/refresh-integration-status') =>
      unwrap(await api.POST(path, { params: { path: { hostId: host.id } } })),
    onSuccess: (r) =>
      r.delivered > 0
        ? toast.show('The agent received the command.', { kind: 'success' })
        : toast.show('The agent is not connected; try again when it is online.', { kind: 'info' }),
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const actions = [
    { path: '/hosts/{hostId}/fetch-report' as const, label: 'Fetch report now', hint: 'The agent collects and sends a full report at once.' },
    { path: '/hosts/{hostId}/force-agent-update' as const, label: 'Update agent', hint: 'The agent downloads the newest version from this server and restarts.' },
    { path: '/hosts/{hostId}/refresh-integration-status' as const, label: 'Refresh integration status', hint: 'The agent re-reads its integration switches and reports their state.' },
  ];
  return (
    <div className="space-y-6">
      <Card title="Agent">
        <Facts
          rows={[
            ['Version', host.agentVersion],
            ['Connection', host.presence.connected ? 'Connected' : 'Not connected'],
            ['Auto-update', host.autoUpdate ? 'On (if enabled in settings)' : 'Off for this host'],
            ['Host-down alerts', host.hostDownAlerts ? 'On' : 'Off'],
            ['Update interval', `${host.updateInterval} minutes${host.updateIntervalOverride ? ' (this host’s own)' : ' (server setting)'}`],
          ]}
        />
      </Card>
      {manage && (
        <Card title="Commands" description={host.presence.connected ? 'Sent over the agent connection.' : 'The agent is not connected now; commands reach it only while it is.'}>
          <ul className="space-y-3">
            {actions.map((a) => (
              <li key={a.path} className="flex flex-wrap items-center justify-between gap-3">
                <div className="text-sm">
                  <p className="font-medium">{a.label}</p>
                  <p className="text-xs text-slate-500 dark:text-slate-400">{a.hint}</p>
                </div>
                <Button size="sm" busy={command.isPending && command.variables === a.path} onClick={() => command.mutate(a.path)}>
                  {a.label}
                </Button>
              </li>
            ))}
          </ul>
        </Card>
      )}
      {can('can_manage_automation') && <HostJobs hostId={host.id} />}
    </div>
  );
}

/** The server's background jobs that were about this host (the agent queue), newest first. */
function HostJobs({ hostId }: { hostId: string }) {
  const runs = useQuery({
    queryKey: ['jobs', 'history', { hostId }],
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/jobs/history', { params: { query: { host_id: hostId, limit: 20 } }, signal })),
  });
  return (
    <Card title="Job history" description="Background jobs the server ran for this host, newest first.">
      {runs.isError && <FormError>{String(runs.error)}</FormError>}
      {runs.data && runs.data.runs.length === 0 && <p className="text-sm text-slate-500 dark:text-slate-400">No job has run for this host yet.</p>}
      {runs.data && runs.data.runs.length > 0 && (
        <table className="w-full text-left text-sm">
          <thead>
            <tr className="text-xs text-slate-500 uppercase dark:text-slate-400">
              <th className="py-1 pr-3 font-medium">Job</th>
              <th className="py-1 pr-3 font-medium">Status</th>
              <th className="py-1 pr-3 font-medium">Started</th>
              <th className="py-1 font-medium">Result</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.runs.map((r) => (
              <tr key={r.id} className="border-t border-slate-100 dark:border-slate-800">
                <td className="py-1 pr-3">{r.job_name}</td>
                <td className="py-1 pr-3">{r.status}</td>
                <td className="py-1 pr-3">{formatDateTime(r.started_at)}</td>
                <td className="py-1">{r.error || r.output}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
