import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { ActionMenu } from '../../components/ActionMenu';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { Button, FormError } from '../../components/forms';
import { AuditIcon, PlusIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { formatDateTime } from '../../format';
import { usePageTitle } from '../../usePageTitle';
import { describeCron, formatBytes, runsQueryKey, schedulesQueryKey, type Run, type Schedule } from './model';
import { ScheduleEditor } from './ScheduleEditor';

type DialogState = { kind: 'edit'; schedule?: Schedule } | { kind: 'delete'; schedule: Schedule } | { kind: 'history'; schedule: Schedule };

const runStyles: Record<Run['status'], string> = {
  succeeded: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  running: 'bg-blue-100 text-blue-800 dark:bg-blue-950 dark:text-blue-300',
  failed: 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300',
};
const runLabels: Record<Run['status'], string> = { succeeded: 'Succeeded', running: 'Running', failed: 'Failed' };

function RunBadge({ run }: { run: Run }) {
  return <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${runStyles[run.status]}`}>{runLabels[run.status]}</span>;
}

/** Scheduled fleet reports: schedules, run now, run history. */
export default function ScheduledReports() {
  usePageTitle('Scheduled Reports');
  const { can } = useAuth();
  const manage = can('can_manage_automation');
  const [dialog, setDialog] = useState<DialogState | null>(null);
  const toast = useToast();
  const queryClient = useQueryClient();

  const schedules = useQuery({
    queryKey: schedulesQueryKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/scheduled-reports', { signal })),
  });
  const options = useQuery({
    queryKey: ['scheduled-reports', 'options'],
    queryFn: async ({ signal }) => unwrap(await api.GET('/scheduled-reports/options', { signal })),
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: schedulesQueryKey });

  const runNow = useMutation({
    mutationFn: async (s: Schedule) => unwrap(await api.POST('/scheduled-reports/{scheduleId}/run', { params: { path: { scheduleId: s.id } } })),
    onSuccess: (run, s) => {
      if (run.status === 'succeeded') {
        toast.show(`“${s.name}” was sent to ${run.deliveries} ${run.deliveries === 1 ? 'destination' : 'destinations'} (${formatBytes(run.size_bytes)}).`, { kind: 'success' });
      } else {
        toast.show(`“${s.name}” failed: ${run.error}`, { kind: 'error' });
      }
      refresh();
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const toggle = useMutation({
    mutationFn: async (s: Schedule) =>
      unwrap(
        await api.PUT('/scheduled-reports/{scheduleId}', {
          params: { path: { scheduleId: s.id } },
          body: { name: s.name, enabled: !s.enabled, cron: s.cron, timezone: s.timezone, format: s.format, top_packages: s.top_packages,
            host_group_ids: s.host_group_ids, destination_ids: s.destination_ids },
        }),
      ),
    onSuccess: (s) => {
      toast.show(`“${s.name}” is ${s.enabled ? 'enabled' : 'paused'}.`, { kind: 'success' });
      refresh();
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const remove = useMutation({
    mutationFn: async (s: Schedule) => unwrap(await api.DELETE('/scheduled-reports/{scheduleId}', { params: { path: { scheduleId: s.id } } })),
    onSuccess: (_, s) => {
      toast.show(`“${s.name}” is deleted.`, { kind: 'success' });
      setDialog(null);
      refresh();
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });

  const destNames = new Map((options.data?.destinations ?? []).map((d) => [d.id, d.name]));
  const list = schedules.data ?? [];

  return (
    <>
      <PageHeader
        title="Scheduled Reports"
        description="Fleet patch-status reports (hosts, outdated and security updates, top packages) sent on a schedule."
        actions={
          manage && (
            <Button variant="primary" disabled={!options.data} onClick={() => setDialog({ kind: 'edit' })}>
              <PlusIcon className="h-4 w-4" /> New schedule
            </Button>
          )
        }
      />
      {schedules.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading schedules…
        </p>
      )}
      {schedules.isError && <FormError>{schedules.error.message}</FormError>}
      {schedules.data && list.length === 0 && (
        <EmptyState icon={AuditIcon} title="No scheduled reports yet.">
          <p>
            {manage
              ? 'Click “New schedule” to email or post a fleet patch report every day, week or month. Reports go to notification destinations (Settings → Notifications).'
              : 'An administrator can schedule fleet patch reports here.'}
          </p>
        </EmptyState>
      )}
      {list.length > 0 && (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
          <table className="w-full min-w-[52rem] text-left text-sm" aria-label="Scheduled reports">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
              <tr>
                <th scope="col" className="px-4 py-3 font-semibold">Name</th>
                <th scope="col" className="px-4 py-3 font-semibold">Schedule</th>
                <th scope="col" className="px-4 py-3 font-semibold">Next run</th>
                <th scope="col" className="px-4 py-3 font-semibold">Last run</th>
                <th scope="col" className="px-4 py-3 text-right font-semibold">Actions</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
              {list.map((s) => (
                <tr key={s.id}>
                  <td className="px-4 py-3">
                    <p className="font-medium">{s.name}</p>
                    <p className="text-xs text-slate-500 dark:text-slate-400">
                      {s.format.toUpperCase()} to {s.destination_ids.map((id) => destNames.get(id) ?? 'deleted destination').join(', ')}
                    </p>
                  </td>
                  <td className="px-4 py-3">
                    <p>{describeCron(s.cron)}</p>
                    <p className="font-mono text-xs text-slate-500 dark:text-slate-400">
                      {s.cron} · {s.timezone}
                    </p>
                  </td>
                  <td className="px-4 py-3 whitespace-nowrap">{s.enabled ? formatDateTime(s.next_run_at) : 'Paused'}</td>
                  <td className="px-4 py-3">
                    {s.last_run ? (
                      <span className="flex flex-wrap items-center gap-2">
                        <RunBadge run={s.last_run} />
                        <span className="whitespace-nowrap">{formatDateTime(s.last_run.started_at)}</span>
                      </span>
                    ) : (
                      'Never'
                    )}
                  </td>
                  <td className="px-4 py-3">
                    <div className="flex justify-end gap-2">
                      {manage && (
                        <Button size="sm" busy={runNow.isPending && runNow.variables?.id === s.id} onClick={() => runNow.mutate(s)}>
                          Run now
                        </Button>
                      )}
                      <ActionMenu
                        label={`Actions for ${s.name}`}
                        actions={[
                          { label: 'History', onSelect: () => setDialog({ kind: 'history', schedule: s }) },
                          ...(manage
                            ? [
                                { label: 'Edit', onSelect: () => setDialog({ kind: 'edit', schedule: s }) },
                                { label: s.enabled ? 'Pause' : 'Resume', onSelect: () => toggle.mutate(s) },
                                { label: 'Delete', onSelect: () => setDialog({ kind: 'delete', schedule: s }), danger: true },
                              ]
                            : []),
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

      {dialog?.kind === 'edit' && options.data && (
        <ScheduleEditor
          schedule={dialog.schedule}
          options={options.data}
          onClose={() => setDialog(null)}
          onSaved={(s) => {
            toast.show(`“${s.name}” is saved.${s.next_run_at ? ` Next run ${formatDateTime(s.next_run_at)}.` : ''}`, { kind: 'success' });
            setDialog(null);
            refresh();
          }}
        />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete “${dialog.schedule.name}”?`}
          confirmLabel="Delete"
          busy={remove.isPending}
          onConfirm={() => remove.mutate(dialog.schedule)}
          onClose={() => setDialog(null)}
        >
          <p className="text-sm">The schedule and its run history are deleted. This cannot be undone.</p>
        </ConfirmDialog>
      )}
      {dialog?.kind === 'history' && <RunHistory schedule={dialog.schedule} onClose={() => setDialog(null)} />}
    </>
  );
}

function RunHistory({ schedule, onClose }: { schedule: Schedule; onClose: () => void }) {
  const runs = useQuery({
    queryKey: runsQueryKey(schedule.id),
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/scheduled-reports/{scheduleId}/runs', { params: { path: { scheduleId: schedule.id }, query: { limit: 50 } }, signal })),
  });
  return (
    <Dialog title={`History of “${schedule.name}”`} onClose={onClose} wide footer={<Button onClick={onClose}>Close</Button>}>
      {runs.isPending && <p role="status" className="text-sm text-slate-500">Loading runs…</p>}
      {runs.isError && <FormError>{runs.error.message}</FormError>}
      {runs.data && runs.data.length === 0 && <p className="text-sm text-slate-500">This report has not run yet. Use Run now to send it at once.</p>}
      {runs.data && runs.data.length > 0 && (
        <table className="w-full text-left text-sm" aria-label="Run history">
          <thead className="text-xs text-slate-500 uppercase">
            <tr>
              <th scope="col" className="py-2 pr-3">Started</th>
              <th scope="col" className="py-2 pr-3">Trigger</th>
              <th scope="col" className="py-2 pr-3">Status</th>
              <th scope="col" className="py-2 pr-3">Hosts</th>
              <th scope="col" className="py-2">Size</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
            {runs.data.map((r) => (
              <tr key={r.id}>
                <td className="py-2 pr-3 whitespace-nowrap">{formatDateTime(r.started_at)}</td>
                <td className="py-2 pr-3">{r.trigger === 'manual' ? 'Run now' : 'Schedule'}</td>
                <td className="py-2 pr-3">
                  <RunBadge run={r} />
                  {r.error && <span className="mt-1 block text-xs break-words text-rose-700 dark:text-rose-300">{r.error}</span>}
                </td>
                <td className="py-2 pr-3">{r.host_count}</td>
                <td className="py-2">{formatBytes(r.size_bytes)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Dialog>
  );
}
