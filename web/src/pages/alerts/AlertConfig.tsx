import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { Dialog } from '../../components/Dialog';
import { Button, Checkbox, FormError, SelectField, TextField } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { usePageTitle } from '../../usePageTitle';
import { AlertTabs } from './Alerts';
import { SeverityBadge } from './Badges';
import { alertsKey, capitalise, SEVERITIES, TYPE_LABELS, useAssignees, type AlertSeverity, type AlertTypeConfig } from './queries';

const configKey = [...alertsKey, 'config'] as const;

/** Per-type alert configuration: what fires, how loud, for how long it is kept. */
export default function AlertConfig() {
  usePageTitle('Alert configuration');
  const { can } = useAuth();
  const manage = can('can_manage_alerts');
  const [editing, setEditing] = useState<AlertTypeConfig | null>(null);
  const config = useQuery({
    queryKey: configKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/alerts/config', { signal })),
  });
  const assignees = useAssignees(manage);
  const nameOf = (id: string | null) => (id ? (assignees.data?.find((u) => u.id === id)?.username ?? 'a user') : '—');

  return (
    <>
      <PageHeader title="Alerts" description="Which alerts fire, their default severity, escalation and how long resolved alerts are kept." />
      <AlertTabs />
      {config.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading the configuration…
        </p>
      )}
      {config.isError && <FormError>{config.error.message}</FormError>}
      {config.data && (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
          <table className="w-full min-w-[56rem] text-left text-sm">
            <caption className="sr-only">Alert types</caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
              <tr>
                {['Type', 'Enabled', 'Default severity', 'Fires after', 'Escalates after', 'Auto-assign', 'Keep resolved', ''].map((h) => (
                  <th key={h} scope="col" className="px-4 py-3 font-semibold">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
              {config.data.map((c) => (
                <tr key={c.type}>
                  <th scope="row" className="px-4 py-2.5 font-medium">
                    {TYPE_LABELS[c.type]}
                    {c.type === 'security_updates' && (
                      <span className="block text-xs font-normal text-slate-500 dark:text-slate-400">at {c.threshold} or more updates</span>
                    )}
                  </th>
                  <td className="px-4 py-2.5">{c.enabled ? 'Yes' : 'No'}</td>
                  <td className="px-4 py-2.5">
                    <SeverityBadge severity={c.default_severity} />
                  </td>
                  <td className="px-4 py-2.5">{c.type === 'host_down' ? `${c.delay_minutes} min` : 'at once'}</td>
                  <td className="px-4 py-2.5">{c.escalate_after_minutes ? `${c.escalate_after_minutes} min` : 'never'}</td>
                  <td className="px-4 py-2.5">{nameOf(c.auto_assign_user_id)}</td>
                  <td className="px-4 py-2.5">{c.retention_days} days</td>
                  <td className="px-4 py-2.5 text-right">
                    {manage && (
                      <Button size="sm" onClick={() => setEditing(c)} aria-label={`Edit ${TYPE_LABELS[c.type]}`}>
                        Edit
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing && <EditDialog config={editing} assignees={assignees.data ?? []} onClose={() => setEditing(null)} />}
    </>
  );
}

function EditDialog({
  config,
  assignees,
  onClose,
}: {
  config: AlertTypeConfig;
  assignees: { id: string; username: string }[];
  onClose: () => void;
}) {
  const toast = useToast();
  const queryClient = useQueryClient();
  const [enabled, setEnabled] = useState(config.enabled);
  const [severity, setSeverity] = useState<AlertSeverity>(config.default_severity);
  const [delay, setDelay] = useState(String(config.delay_minutes));
  const [threshold, setThreshold] = useState(String(config.threshold));
  const [escalate, setEscalate] = useState(config.escalate_after_minutes ? String(config.escalate_after_minutes) : '');
  const [assignee, setAssignee] = useState(config.auto_assign_user_id ?? '');
  const [retention, setRetention] = useState(String(config.retention_days));

  const save = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.PUT('/alerts/config/{alertType}', {
          params: { path: { alertType: config.type } },
          body: {
            enabled,
            default_severity: severity,
            delay_minutes: Number(delay),
            threshold: Number(threshold),
            escalate_after_minutes: escalate ? Number(escalate) : null,
            auto_assign_user_id: assignee || null,
            retention_days: Number(retention),
          },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: configKey });
      toast.show(`${TYPE_LABELS[config.type]} alerts updated.`, { kind: 'success' });
      onClose();
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    save.mutate();
  };

  return (
    <Dialog
      title={`${TYPE_LABELS[config.type]} alerts`}
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save
          </Button>
        </>
      }
    >
      <div className="grid gap-4">
        {save.isError && <FormError>{save.error.message}</FormError>}
        <Checkbox label="Raise these alerts" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        <SelectField label="Default severity" value={severity} onChange={(e) => setSeverity(e.target.value as AlertSeverity)}>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {capitalise(s)}
            </option>
          ))}
        </SelectField>
        {config.type === 'host_down' && (
          <TextField
            label="Delay before firing (minutes)"
            type="number"
            min={0}
            max={10080}
            required
            value={delay}
            onChange={(e) => setDelay(e.target.value)}
            hint="How long a host must be unreachable before the alert fires."
          />
        )}
        {config.type === 'security_updates' && (
          <TextField
            label="Threshold (security updates)"
            type="number"
            min={1}
            required
            value={threshold}
            onChange={(e) => setThreshold(e.target.value)}
          />
        )}
        <TextField
          label="Escalate after (minutes)"
          type="number"
          min={1}
          max={100000}
          value={escalate}
          onChange={(e) => setEscalate(e.target.value)}
          hint="An open alert nobody acknowledged goes up one severity each time this passes. Leave empty never to escalate."
        />
        <SelectField label="Assign new alerts to" value={assignee} onChange={(e) => setAssignee(e.target.value)}>
          <option value="">Nobody</option>
          {assignees.map((u) => (
            <option key={u.id} value={u.id}>
              {u.username}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Keep resolved alerts (days)"
          type="number"
          min={1}
          max={3650}
          required
          value={retention}
          onChange={(e) => setRetention(e.target.value)}
        />
      </div>
    </Dialog>
  );
}
