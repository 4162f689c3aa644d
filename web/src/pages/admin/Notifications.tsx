import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ActionMenu } from '../../components/ActionMenu';
import { ConfirmDialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { Button, FormError } from '../../components/forms';
import { BoltIcon, PlusIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { formatDateTime } from '../../format';
import { usePageTitle } from '../../usePageTitle';
import { SettingsTabs } from './SettingsTabs';
import { DeliveryLog, StatusBadge } from './notifications/DeliveryLog';
import { DestinationEditor } from './notifications/DestinationEditor';
import {
  deliveriesQueryKey,
  destinationsQueryKey,
  destinationTarget,
  optionsQueryKey,
  routeSummary,
  routesQueryKey,
  typeLabels,
  type Destination,
  type Route,
} from './notifications/model';
import { RouteEditor } from './notifications/RouteEditor';

type Tab = 'destinations' | 'routes' | 'log';
const tabLabels: Record<Tab, string> = { destinations: 'Destinations', routes: 'Routes', log: 'Delivery log' };

type Dialog =
  | { kind: 'destination'; destination?: Destination }
  | { kind: 'delete-destination'; destination: Destination }
  | { kind: 'route'; route?: Route }
  | { kind: 'delete-route'; route: Route };

/** Settings → Notifications: destinations, routes and the delivery log. */
export default function Notifications() {
  usePageTitle('Notifications');
  const [params, setParams] = useSearchParams();
  const raw = params.get('tab');
  const tab: Tab = raw === 'routes' || raw === 'log' ? raw : 'destinations';
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const toast = useToast();
  const queryClient = useQueryClient();

  const destinations = useQuery({
    queryKey: destinationsQueryKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/notifications/destinations', { signal })),
  });
  const routes = useQuery({
    queryKey: routesQueryKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/notifications/routes', { signal })),
    enabled: tab === 'routes',
  });
  const options = useQuery({
    queryKey: optionsQueryKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/notifications/options', { signal })),
    enabled: tab === 'routes',
  });

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: destinationsQueryKey });
    void queryClient.invalidateQueries({ queryKey: routesQueryKey });
    void queryClient.invalidateQueries({ queryKey: deliveriesQueryKey });
  };

  const test = useMutation({
    mutationFn: async (d: Destination) =>
      unwrap(await api.POST('/notifications/destinations/{destinationId}/test', { params: { path: { destinationId: d.id } } })),
    onSuccess: (res, d) => {
      if (res.success) {
        toast.show(`Test sent to “${d.name}”${res.response_code ? ` (HTTP ${res.response_code})` : ''}.`, { kind: 'success' });
      } else {
        toast.show(`Test to “${d.name}” failed: ${res.error ?? 'unknown error'}`, { kind: 'error' });
      }
      refresh();
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const toggleDestination = useMutation({
    mutationFn: async (d: Destination) =>
      unwrap(
        await api.PUT('/notifications/destinations/{destinationId}', {
          params: { path: { destinationId: d.id } },
          body: { enabled: !d.enabled },
        }),
      ),
    onSuccess: (d) => {
      toast.show(`“${d.name}” is ${d.enabled ? 'enabled' : 'disabled'}.`, { kind: 'success' });
      refresh();
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const removeDestination = useMutation({
    mutationFn: async (d: Destination) =>
      unwrap(await api.DELETE('/notifications/destinations/{destinationId}', { params: { path: { destinationId: d.id } } })),
    onSuccess: (_, d) => {
      toast.show(`“${d.name}” is deleted.`, { kind: 'success' });
      setDialog(null);
      refresh();
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const removeRoute = useMutation({
    mutationFn: async (r: Route) => unwrap(await api.DELETE('/notifications/routes/{routeId}', { params: { path: { routeId: r.id } } })),
    onSuccess: (_, r) => {
      toast.show(`Route “${r.name}” is deleted.`, { kind: 'success' });
      setDialog(null);
      refresh();
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });

  const selectTab = (t: Tab) => setParams(t === 'destinations' ? {} : { tab: t }, { replace: true });
  const destinationList = destinations.data ?? [];
  const names = {
    groups: new Map((options.data?.host_groups ?? []).map((g) => [g.id, g.name])),
    hosts: new Map((options.data?.hosts ?? []).map((h) => [h.id, h.name])),
  };
  const destinationNames = new Map(destinationList.map((d) => [d.id, d.name]));

  return (
    <>
      <PageHeader
        title="Settings"
        description="Where PatchMon sends alerts and reports, and which events go where."
        actions={
          tab === 'destinations' ? (
            <Button variant="primary" onClick={() => setDialog({ kind: 'destination' })}>
              <PlusIcon className="h-4 w-4" /> New destination
            </Button>
          ) : tab === 'routes' ? (
            <Button variant="primary" disabled={!options.data} onClick={() => setDialog({ kind: 'route' })}>
              <PlusIcon className="h-4 w-4" /> New route
            </Button>
          ) : undefined
        }
      />
      <SettingsTabs />
      <div role="tablist" aria-label="Notification settings" className="mb-4 inline-flex rounded-lg bg-slate-100 p-1 dark:bg-slate-800">
        {(Object.keys(tabLabels) as Tab[]).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            onClick={() => selectTab(t)}
            className={`rounded-md px-3 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-blue-500 ${
              tab === t ? 'bg-white shadow-sm dark:bg-slate-950' : 'text-slate-600 dark:text-slate-300'
            }`}
          >
            {tabLabels[t]}
          </button>
        ))}
      </div>

      <div role="tabpanel" aria-label={tabLabels[tab]}>
        {tab === 'destinations' && (
          <>
            {destinations.isPending && (
              <p role="status" className="text-sm text-slate-500">
                Loading destinations…
              </p>
            )}
            {destinations.isError && <FormError>{destinations.error.message}</FormError>}
            {destinations.data && destinationList.length === 0 && (
              <EmptyState icon={BoltIcon} title="No destinations yet.">
                <p>Click “New destination” to send alerts and reports to a webhook, email, ntfy, Gotify, Slack, Discord or Teams.</p>
              </EmptyState>
            )}
            {destinationList.length > 0 && (
              <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
                <table className="w-full min-w-[44rem] text-left text-sm" aria-label="Destinations">
                  <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
                    <tr>
                      <th scope="col" className="px-4 py-3 font-semibold">Name</th>
                      <th scope="col" className="px-4 py-3 font-semibold">Type</th>
                      <th scope="col" className="px-4 py-3 font-semibold">Status</th>
                      <th scope="col" className="px-4 py-3 font-semibold">Last delivery</th>
                      <th scope="col" className="px-4 py-3 text-right font-semibold">Actions</th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                    {destinationList.map((d) => (
                      <tr key={d.id}>
                        <td className="px-4 py-3">
                          <p className="font-medium">{d.name}</p>
                          <p className="text-xs break-all text-slate-500 dark:text-slate-400">{destinationTarget(d)}</p>
                        </td>
                        <td className="px-4 py-3">{typeLabels[d.type]}</td>
                        <td className="px-4 py-3">
                          <span
                            className={`rounded-full px-2 py-0.5 text-xs font-medium ${
                              d.enabled
                                ? 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300'
                                : 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300'
                            }`}
                          >
                            {d.enabled ? 'Enabled' : 'Disabled'}
                          </span>
                        </td>
                        <td className="px-4 py-3 whitespace-nowrap">
                          {d.last_status && d.last_delivery_at ? (
                            <span className="flex items-center gap-2">
                              <StatusBadge status={d.last_status as 'succeeded' | 'pending' | 'failed'} />
                              {formatDateTime(d.last_delivery_at)}
                            </span>
                          ) : (
                            'Never'
                          )}
                        </td>
                        <td className="px-4 py-3">
                          <div className="flex justify-end gap-2">
                            <Button size="sm" busy={test.isPending && test.variables?.id === d.id} onClick={() => test.mutate(d)}>
                              Send test
                            </Button>
                            <ActionMenu
                              label={`Actions for ${d.name}`}
                              actions={[
                                { label: 'Edit', onSelect: () => setDialog({ kind: 'destination', destination: d }) },
                                { label: d.enabled ? 'Disable' : 'Enable', onSelect: () => toggleDestination.mutate(d) },
                                { label: 'Delete', onSelect: () => setDialog({ kind: 'delete-destination', destination: d }), danger: true },
                              ]}
                            />
                          </div>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}

        {tab === 'routes' && (
          <>
            {(routes.isPending || options.isPending) && (
              <p role="status" className="text-sm text-slate-500">
                Loading routes…
              </p>
            )}
            {routes.isError && <FormError>{routes.error.message}</FormError>}
            {routes.data && routes.data.length === 0 && (
              <EmptyState icon={BoltIcon} title="No routes yet.">
                <p>
                  {destinationList.length === 0
                    ? 'Create a destination first, then add a route that sends events to it.'
                    : 'Click “New route” to choose which events (by type, severity and host) go to which destinations.'}
                </p>
              </EmptyState>
            )}
            {routes.data && routes.data.length > 0 && options.data && (
              <ul className="space-y-3" aria-label="Routes">
                {routes.data.map((r) => (
                  <li key={r.id} className="flex flex-wrap items-start justify-between gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
                    <div className="min-w-0">
                      <p className="font-medium">
                        {r.name} {!r.enabled && <span className="ml-1 text-xs text-slate-500">(disabled)</span>}
                      </p>
                      <p className="text-sm text-slate-600 dark:text-slate-400">{routeSummary(r, names)}</p>
                      <p className="text-xs text-slate-500 dark:text-slate-400">
                        To {r.destination_ids.map((id) => destinationNames.get(id) ?? 'deleted destination').join(', ')}
                      </p>
                    </div>
                    <ActionMenu
                      label={`Actions for route ${r.name}`}
                      actions={[
                        { label: 'Edit', onSelect: () => setDialog({ kind: 'route', route: r }) },
                        { label: 'Delete', onSelect: () => setDialog({ kind: 'delete-route', route: r }), danger: true },
                      ]}
                    />
                  </li>
                ))}
              </ul>
            )}
          </>
        )}

        {tab === 'log' && <DeliveryLog destinations={destinationList} />}
      </div>

      {dialog?.kind === 'destination' && (
        <DestinationEditor
          destination={dialog.destination}
          onClose={() => setDialog(null)}
          onSaved={(d, created) => {
            toast.show(created ? `“${d.name}” is created. Send a test to check it.` : `“${d.name}” is saved.`, { kind: 'success' });
            setDialog(null);
            refresh();
          }}
        />
      )}
      {dialog?.kind === 'route' && options.data && (
        <RouteEditor
          route={dialog.route}
          destinations={destinationList}
          options={options.data}
          onClose={() => setDialog(null)}
          onSaved={(r) => {
            toast.show(`Route “${r.name}” is saved.`, { kind: 'success' });
            setDialog(null);
            refresh();
          }}
        />
      )}
      {dialog?.kind === 'delete-destination' && (
        <ConfirmDialog
          title={`Delete “${dialog.destination.name}”?`}
          confirmLabel="Delete"
          busy={removeDestination.isPending}
          onConfirm={() => removeDestination.mutate(dialog.destination)}
          onClose={() => setDialog(null)}
        >
          <p className="text-sm">Its delivery log and pending retries are deleted, and routes stop sending to it. This cannot be undone.</p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'delete-route' && (
        <ConfirmDialog
          title={`Delete route “${dialog.route.name}”?`}
          confirmLabel="Delete"
          busy={removeRoute.isPending}
          onConfirm={() => removeRoute.mutate(dialog.route)}
          onClose={() => setDialog(null)}
        >
          <p className="text-sm">Events it matched are no longer sent to its destinations. The delivery log is kept.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
