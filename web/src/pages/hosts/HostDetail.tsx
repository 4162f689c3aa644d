import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type KeyboardEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, ApiError, unwrap } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { Button, Checkbox, FormError, TextField } from '../../components/forms';
import { splitErrors } from '../../components/formErrors';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { usePageTitle } from '../../usePageTitle';
import { GroupChips } from './HostList';
import { AgentTab, HistoryTab, IntegrationsTab, NetworkTab, NotesTab, OverviewTab, PackagesTab, RepositoriesTab, SystemTab } from './HostTabs';
import { InstallCommand } from './InstallCommand';
import { dropFromLists, hostKey, hostsKey, useHost, useHostGroups, type HostCredentials, type HostDetail as Host } from './queries';
import { HostStatusBadge } from './StatusBadge';

export const TABS = [
  { key: 'overview', label: 'Overview' },
  { key: 'system', label: 'System' },
  { key: 'network', label: 'Network' },
  { key: 'packages', label: 'Packages' },
  { key: 'repositories', label: 'Repositories' },
  { key: 'history', label: 'Report history' },
  { key: 'integrations', label: 'Integrations' },
  { key: 'notes', label: 'Notes' },
  { key: 'agent', label: 'Agent' },
] as const;

export type TabKey = (typeof TABS)[number]['key'];

export default function HostDetail() {
  const { hostId = '' } = useParams();
  const host = useHost(hostId);
  const [params, setParams] = useSearchParams();
  const tab = (TABS.find((t) => t.key === params.get('tab'))?.key ?? 'overview') as TabKey;
  usePageTitle(host.data?.friendlyName ?? 'Host');
  const { can } = useAuth();
  const manage = can('can_manage_hosts');
  const [dialog, setDialog] = useState<'edit' | 'regenerate' | 'delete' | null>(null);

  if (host.isPending) {
    return (
      <p role="status" className="text-sm text-slate-500">
        Loading host…
      </p>
    );
  }
  if (host.isError) {
    const gone = host.error instanceof ApiError && host.error.status === 404;
    return (
      <div className="py-12 text-center">
        <h1 className="text-xl font-semibold">{gone ? 'This host does not exist' : 'The host could not be loaded'}</h1>
        <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">{gone ? 'It may have been deleted.' : host.error.message}</p>
        <Link to="/hosts" className="mt-4 inline-block text-sm font-medium text-blue-700 hover:underline dark:text-blue-300">
          Back to hosts
        </Link>
      </div>
    );
  }
  const h = host.data;
  const select = (key: TabKey) => setParams(key === 'overview' ? {} : { tab: key }, { replace: true });
  const onTabKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    const i = TABS.findIndex((t) => t.key === tab);
    const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : null;
    if (next === null) return;
    e.preventDefault();
    const t = TABS[(next + TABS.length) % TABS.length];
    if (!t) return;
    select(t.key);
    document.getElementById(`tab-${t.key}`)?.focus();
  };

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link to="/hosts" className="text-blue-700 hover:underline dark:text-blue-300">
          Hosts
        </Link>
        <span className="mx-1 text-slate-400">/</span>
        <span>{h.friendlyName}</span>
      </nav>
      <PageHeader
        title={h.friendlyName}
        description={
          <span className="flex flex-wrap items-center gap-3">
            <HostStatusBadge status={h.status} connected={h.connected} />
            {h.hostname && <span>{h.hostname}</span>}
            {h.ip && <span>{h.ip}</span>}
            <GroupChips groups={h.groups} />
          </span>
        }
        actions={
          manage && (
            <>
              <Button onClick={() => setDialog('edit')}>Edit</Button>
              <Button onClick={() => setDialog('regenerate')}>Regenerate credentials</Button>
              <Button variant="danger" onClick={() => setDialog('delete')}>
                Delete
              </Button>
            </>
          )
        }
      />

      <div role="tablist" aria-label="Host details" className="mb-4 flex gap-1 overflow-x-auto border-b border-slate-200 dark:border-slate-800">
        {TABS.map((t) => (
          <button
            key={t.key}
            id={`tab-${t.key}`}
            type="button"
            role="tab"
            aria-selected={tab === t.key}
            aria-controls={`panel-${t.key}`}
            tabIndex={tab === t.key ? 0 : -1}
            onClick={() => select(t.key)}
            onKeyDown={onTabKey}
            className={`-mb-px border-b-2 px-3 py-2 text-sm font-medium whitespace-nowrap ${
              tab === t.key
                ? 'border-blue-600 text-blue-700 dark:text-blue-300'
                : 'border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-white'
            }`}
          >
            {t.label}
            {t.key === 'packages' && h.outdatedPackages > 0 && (
              <span className="ml-1.5 rounded-full bg-amber-100 px-1.5 text-xs text-amber-800 dark:bg-amber-950 dark:text-amber-200">{h.outdatedPackages}</span>
            )}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'overview' && <OverviewTab host={h} />}
        {tab === 'system' && <SystemTab host={h} />}
        {tab === 'network' && <NetworkTab host={h} />}
        {tab === 'packages' && <PackagesTab host={h} />}
        {tab === 'repositories' && <RepositoriesTab host={h} />}
        {tab === 'history' && <HistoryTab host={h} />}
        {tab === 'integrations' && <IntegrationsTab host={h} manage={manage} />}
        {tab === 'notes' && <NotesTab host={h} manage={manage} />}
        {tab === 'agent' && <AgentTab host={h} manage={manage} />}
      </div>

      {dialog === 'edit' && <EditHostDialog host={h} onClose={() => setDialog(null)} />}
      {dialog === 'regenerate' && <RegenerateDialog host={h} onClose={() => setDialog(null)} />}
      {dialog === 'delete' && <DeleteHostDialog host={h} onClose={() => setDialog(null)} />}
    </>
  );
}

function EditHostDialog({ host, onClose }: { host: Host; onClose: () => void }) {
  const [name, setName] = useState(host.friendlyName);
  const [groupIds, setGroupIds] = useState(host.groups.map((g) => g.id));
  const [autoUpdate, setAutoUpdate] = useState(host.autoUpdate);
  const [alerts, setAlerts] = useState(host.hostDownAlerts);
  const [ownInterval, setOwnInterval] = useState(host.updateIntervalOverride);
  const [intervalText, setIntervalText] = useState(String(host.updateInterval));
  const groups = useHostGroups();
  const toast = useToast();
  const queryClient = useQueryClient();
  const save = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.PATCH('/hosts/{hostId}', {
          params: { path: { hostId: host.id } },
          body: {
            friendlyName: name,
            groupIds,
            autoUpdate,
            hostDownAlerts: alerts,
            // 0 returns the host to the server's interval.
            ...(ownInterval ? { updateInterval: Number(intervalText) } : host.updateIntervalOverride ? { updateInterval: 0 } : {}),
          },
        }),
      ),
    onSuccess: (h) => {
      queryClient.setQueryData(hostKey(host.id), h);
      void queryClient.invalidateQueries({ queryKey: hostsKey });
      toast.show(`${h.friendlyName} was saved.`, { kind: 'success' });
      onClose();
    },
  });
  const errors = splitErrors(save.error, ['friendlyName', 'groupIds', 'updateInterval'] as const);
  return (
    <Dialog
      title={`Edit ${host.friendlyName}`}
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
      <div className="space-y-4">
        <FormError>{errors.form}</FormError>
        <TextField label="Friendly name" required maxLength={255} value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.friendlyName} />
        <fieldset>
          <legend className="text-sm font-medium">Host groups</legend>
          {errors.fields.groupIds && <p className="text-sm text-rose-700 dark:text-rose-300">{errors.fields.groupIds}</p>}
          {groups.data?.length === 0 && <p className="text-sm text-slate-500">No host groups yet.</p>}
          <div className="mt-2 grid gap-2 sm:grid-cols-2">
            {groups.data?.map((g) => (
              <Checkbox
                key={g.id}
                label={g.name}
                checked={groupIds.includes(g.id)}
                onChange={(e) => setGroupIds((ids) => (e.target.checked ? [...ids, g.id] : ids.filter((x) => x !== g.id)))}
              />
            ))}
          </div>
        </fieldset>
        <Checkbox
          label="Agent auto-update"
          hint="When off, this host's agent is not updated even if auto-update is on in the server settings."
          checked={autoUpdate}
          onChange={(e) => setAutoUpdate(e.target.checked)}
        />
        <Checkbox
          label="Host-down alerts"
          hint="Raise an alert when this host stops checking in."
          checked={alerts}
          onChange={(e) => setAlerts(e.target.checked)}
        />
        <Checkbox
          label="Own update interval"
          hint="When off, the host reports at the interval set in the server settings."
          checked={ownInterval}
          onChange={(e) => setOwnInterval(e.target.checked)}
        />
        {ownInterval && (
          <TextField
            label="Update interval (minutes)"
            type="number"
            min={5}
            max={1440}
            required
            value={intervalText}
            onChange={(e) => setIntervalText(e.target.value)}
            error={errors.fields.updateInterval}
            hint="Between 5 and 1440. The agent is told at once if it is connected."
          />
        )}
      </div>
    </Dialog>
  );
}

function RegenerateDialog({ host, onClose }: { host: Host; onClose: () => void }) {
  const [creds, setCreds] = useState<HostCredentials | null>(null);
  const queryClient = useQueryClient();
  const regen = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST('/hosts/{hostId}/regenerate-credentials', { params: { path: { hostId: host.id } } })),
    onSuccess: (c) => {
      setCreds(c);
      void queryClient.invalidateQueries({ queryKey: hostKey(host.id) });
    },
  });
  if (creds) {
    return (
      <Dialog
        title="New credentials"
        description={`Run the command on ${host.friendlyName} to put the new credentials in place.`}
        onClose={onClose}
        wide
        footer={
          <Button variant="primary" onClick={onClose}>
            Done
          </Button>
        }
      >
        <InstallCommand commands={creds.installCommands} apiId={creds.apiId} apiKey={creds.apiKey} />
      </Dialog>
    );
  }
  return (
    <ConfirmDialog title={`Regenerate the credentials of ${host.friendlyName}?`} confirmLabel="Regenerate" busy={regen.isPending} onConfirm={() => regen.mutate()} onClose={onClose}>
      <FormError>{regen.error?.message}</FormError>
      <p className="text-sm">
        The current API ID and key stop working at once and the agent is disconnected. It reports again only after you install the new credentials on the host.
      </p>
    </ConfirmDialog>
  );
}

function DeleteHostDialog({ host, onClose }: { host: Host; onClose: () => void }) {
  const toast = useToast();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const del = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/hosts/{hostId}', { params: { path: { hostId: host.id } } })),
    onSuccess: () => {
      toast.show(`${host.friendlyName} was deleted.`, { kind: 'success' });
      queryClient.removeQueries({ queryKey: hostKey(host.id) });
      dropFromLists(queryClient, [host.id]);
      void queryClient.invalidateQueries({ queryKey: hostsKey });
      navigate('/hosts');
    },
  });
  return (
    <ConfirmDialog title={`Delete ${host.friendlyName}?`} confirmLabel="Delete host" busy={del.isPending} onConfirm={() => del.mutate()} onClose={onClose}>
      <FormError>{del.error?.message}</FormError>
      <p className="text-sm">
        Its packages, repositories, report history and group memberships are deleted and its agent is refused from now on. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
