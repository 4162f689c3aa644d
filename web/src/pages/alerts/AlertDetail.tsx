import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { Dialog } from '../../components/Dialog';
import { Button, Card, FormError, SelectField, TextField } from '../../components/forms';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { formatDateTime } from '../../format';
import { usePageTitle } from '../../usePageTitle';
import { SeverityBadge, StatusBadge } from './Badges';
import { alertsKey, capitalise, TYPE_LABELS, useAssignees, type Alert } from './queries';

type HistoryEntry = Schemas['AlertHistoryEntry'];

/** A datetime-local value for the browser's zone, an hour from now by default. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export default function AlertDetail() {
  const { alertId = '' } = useParams();
  const { can } = useAuth();
  const manage = can('can_manage_alerts');
  const toast = useToast();
  const queryClient = useQueryClient();
  const [silencing, setSilencing] = useState(false);

  const detail = useQuery({
    queryKey: [...alertsKey, 'detail', alertId],
    queryFn: async ({ signal }) => unwrap(await api.GET('/alerts/{alertId}', { signal, params: { path: { alertId } } })),
  });
  const assignees = useAssignees(manage);
  usePageTitle(detail.data?.alert.title ?? 'Alert');

  const act = useMutation({
    mutationFn: async (a: { kind: 'acknowledge' | 'resolve' | 'assign' | 'silence'; userId?: string | null; until?: string }) => {
      const path = { params: { path: { alertId } } };
      switch (a.kind) {
        case 'acknowledge':
          return unwrap(await api.POST('/alerts/{alertId}/acknowledge', { ...path, body: {} }));
        case 'resolve':
          return unwrap(await api.POST('/alerts/{alertId}/resolve', { ...path, body: {} }));
        case 'assign':
          return unwrap(await api.POST('/alerts/{alertId}/assign', { ...path, body: { user_id: a.userId ?? null } }));
        case 'silence':
          return unwrap(await api.POST('/alerts/{alertId}/silence', { ...path, body: { until: a.until ?? '' } }));
      }
    },
    onSuccess: (alert: Alert, a) => {
      void queryClient.invalidateQueries({ queryKey: alertsKey });
      const done = {
        acknowledge: 'Alert acknowledged.',
        resolve: 'Alert resolved.',
        assign: alert.assigned_to ? `Assigned to ${alert.assigned_to.username}.` : 'Alert unassigned.',
        silence: `Silenced until ${formatDateTime(alert.silenced_until)}.`,
      }[a.kind];
      toast.show(done, { kind: 'success' });
      setSilencing(false);
    },
    onError: (err) => toast.show(`The alert was not changed: ${err.message}`, { kind: 'error' }),
  });

  if (detail.isPending) {
    return (
      <p role="status" className="text-sm text-slate-500">
        Loading the alert…
      </p>
    );
  }
  if (detail.isError) {
    return (
      <>
        <PageHeader title="Alert" />
        <FormError>{detail.error.message}</FormError>
        <p className="mt-4 text-sm">
          <Link to="/alerts" className="text-blue-700 hover:underline dark:text-blue-300">
            Back to alerts
          </Link>
        </p>
      </>
    );
  }
  const { alert, history } = detail.data;
  const resolved = alert.status === 'resolved';
  const details = Object.entries(alert.details ?? {});

  return (
    <>
      <p className="mb-2 text-sm">
        <Link to="/alerts" className="text-blue-700 hover:underline dark:text-blue-300">
          ← Alerts
        </Link>
      </p>
      <PageHeader
        title={alert.title}
        description={alert.message}
        actions={
          manage && !resolved ? (
            <>
              {alert.status !== 'acknowledged' && (
                <Button variant="primary" busy={act.isPending} onClick={() => act.mutate({ kind: 'acknowledge' })}>
                  Acknowledge
                </Button>
              )}
              <Button busy={act.isPending} onClick={() => setSilencing(true)}>
                Silence…
              </Button>
              <Button busy={act.isPending} onClick={() => act.mutate({ kind: 'resolve' })}>
                Resolve
              </Button>
            </>
          ) : undefined
        }
      />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <Card title="Details">
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
            <dt className="text-slate-500 dark:text-slate-400">Type</dt>
            <dd>{TYPE_LABELS[alert.type]}</dd>
            <dt className="text-slate-500 dark:text-slate-400">Severity</dt>
            <dd>
              <SeverityBadge severity={alert.severity} />
              {alert.escalation_level > 0 && <span className="ml-2 text-xs">escalated {alert.escalation_level}×</span>}
            </dd>
            <dt className="text-slate-500 dark:text-slate-400">Status</dt>
            <dd>
              <StatusBadge alert={alert} />
              {alert.status === 'silenced' && <span className="ml-2 text-xs">until {formatDateTime(alert.silenced_until)}</span>}
            </dd>
            <dt className="text-slate-500 dark:text-slate-400">Host</dt>
            <dd>{alert.host_name || '—'}</dd>
            <dt className="text-slate-500 dark:text-slate-400">Raised</dt>
            <dd>{formatDateTime(alert.created_at)}</dd>
            {alert.resolved_at && (
              <>
                <dt className="text-slate-500 dark:text-slate-400">Resolved</dt>
                <dd>{formatDateTime(alert.resolved_at)}</dd>
              </>
            )}
            {details.map(([k, v]) => (
              <div key={k} className="contents">
                <dt className="text-slate-500 dark:text-slate-400">{k.replaceAll('_', ' ')}</dt>
                <dd className="break-all">{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
              </div>
            ))}
          </dl>
          <div className="mt-4 max-w-xs">
            {manage && !resolved ? (
              <SelectField
                label="Assigned to"
                value={alert.assigned_to?.id ?? ''}
                disabled={act.isPending}
                onChange={(e) => act.mutate({ kind: 'assign', userId: e.target.value || null })}
              >
                <option value="">Nobody</option>
                {assignees.data?.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.username}
                  </option>
                ))}
              </SelectField>
            ) : (
              <p className="text-sm">
                <span className="text-slate-500 dark:text-slate-400">Assigned to </span>
                {alert.assigned_to?.username ?? 'nobody'}
              </p>
            )}
          </div>
        </Card>
        <Card title="History" description="Every action on this alert, oldest first.">
          <ol className="space-y-3 text-sm" aria-label="Alert history">
            {history.map((h) => (
              <HistoryItem key={h.id} entry={h} />
            ))}
          </ol>
        </Card>
      </div>
      {silencing && (
        <SilenceDialog busy={act.isPending} onClose={() => setSilencing(false)} onSilence={(until) => act.mutate({ kind: 'silence', until })} />
      )}
    </>
  );
}

function HistoryItem({ entry }: { entry: HistoryEntry }) {
  return (
    <li className="border-l-2 border-slate-200 pl-3 dark:border-slate-700">
      <p>
        <span className="font-medium">{capitalise(entry.action)}</span>{' '}
        <span className="text-slate-500 dark:text-slate-400">by {entry.username || 'PatchMon'}</span>
      </p>
      {entry.note && <p className="text-slate-700 dark:text-slate-300">{entry.note}</p>}
      <time dateTime={entry.created_at} className="text-xs text-slate-500 dark:text-slate-400">
        {formatDateTime(entry.created_at)}
      </time>
    </li>
  );
}

function SilenceDialog({ busy, onClose, onSilence }: { busy: boolean; onClose: () => void; onSilence: (until: string) => void }) {
  const [value, setValue] = useState(() => localInput(new Date(Date.now() + 60 * 60 * 1000)));
  const [error, setError] = useState('');
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const until = new Date(value);
    if (Number.isNaN(until.getTime()) || until.getTime() <= Date.now()) {
      setError('Pick a time in the future.');
      return;
    }
    onSilence(until.toISOString());
  };
  return (
    <Dialog
      title="Silence alert"
      description="The alert stays listed as silenced and does not escalate until then; afterwards it is open again."
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy}>
            Silence
          </Button>
        </>
      }
    >
      <TextField label="Silence until" type="datetime-local" required value={value} error={error} onChange={(e) => setValue(e.target.value)} />
    </Dialog>
  );
}
