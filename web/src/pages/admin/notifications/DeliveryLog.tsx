import { useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { api, unwrap } from '../../../api/client';
import { EmptyState } from '../../../components/EmptyState';
import { Button, FormError, SelectField } from '../../../components/forms';
import { AuditIcon, RefreshIcon } from '../../../components/icons';
import { formatDateTime } from '../../../format';
import { deliveriesQueryKey, eventLabel, type Delivery, type Destination } from './model';

const statusStyles: Record<Delivery['status'], string> = {
  succeeded: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  pending: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300',
  failed: 'bg-rose-100 text-rose-800 dark:bg-rose-950 dark:text-rose-300',
};
const statusLabels: Record<Delivery['status'], string> = { succeeded: 'Delivered', pending: 'Retrying', failed: 'Failed' };

export function StatusBadge({ status }: { status: Delivery['status'] }) {
  return <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${statusStyles[status]}`}>{statusLabels[status]}</span>;
}

const PAGE = 25;

/** Every delivery with its attempts, newest first. */
export function DeliveryLog({ destinations }: { destinations: Destination[] }) {
  const [destination, setDestination] = useState('');
  const [status, setStatus] = useState('');
  const [page, setPage] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const log = useQuery({
    queryKey: [...deliveriesQueryKey, destination, status, page],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET('/notifications/deliveries', {
          params: {
            query: {
              destination_id: destination || undefined,
              status: (status || undefined) as Delivery['status'] | undefined,
              limit: PAGE,
              offset: page * PAGE,
            },
          },
          signal,
        }),
      ),
    refetchInterval: 15_000,
  });
  const total = log.data?.total ?? 0;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end gap-3">
        <SelectField label="Destination" value={destination} onChange={(e) => { setDestination(e.target.value); setPage(0); }}>
          <option value="">All destinations</option>
          {destinations.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </SelectField>
        <SelectField label="Status" value={status} onChange={(e) => { setStatus(e.target.value); setPage(0); }}>
          <option value="">Any status</option>
          <option value="succeeded">Delivered</option>
          <option value="pending">Retrying</option>
          <option value="failed">Failed</option>
        </SelectField>
        <Button onClick={() => void log.refetch()} busy={log.isFetching}>
          <RefreshIcon className="h-4 w-4" /> Refresh
        </Button>
      </div>
      {log.isError && <FormError>{log.error.message}</FormError>}
      {log.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading the delivery log…
        </p>
      )}
      {log.data && log.data.deliveries.length === 0 && (
        <EmptyState icon={AuditIcon} title="Nothing delivered yet.">
          <p>Send a test from the Destinations tab, or wait for an event that one of your routes matches.</p>
        </EmptyState>
      )}
      {log.data && log.data.deliveries.length > 0 && (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
          <table className="w-full min-w-[48rem] text-left text-sm" aria-label="Delivery log">
            <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
              <tr>
                <th scope="col" className="px-4 py-3 font-semibold">Time</th>
                <th scope="col" className="px-4 py-3 font-semibold">Destination</th>
                <th scope="col" className="px-4 py-3 font-semibold">Event</th>
                <th scope="col" className="px-4 py-3 font-semibold">Status</th>
                <th scope="col" className="px-4 py-3 font-semibold">Attempts</th>
                <th scope="col" className="px-4 py-3 font-semibold">Result</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
              {log.data.deliveries.map((d) => (
                <Fragment key={d.id}>
                  <tr>
                    <td className="px-4 py-3 whitespace-nowrap">{formatDateTime(d.created_at)}</td>
                    <td className="px-4 py-3">{d.destination_name}</td>
                    <td className="px-4 py-3">
                      <p>{d.title}</p>
                      <p className="text-xs text-slate-500 dark:text-slate-400">
                        {eventLabel(d.event_type)} · {d.severity}
                      </p>
                    </td>
                    <td className="px-4 py-3">
                      <StatusBadge status={d.status} />
                    </td>
                    <td className="px-4 py-3 whitespace-nowrap">
                      <button
                        type="button"
                        className="text-blue-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-blue-500 dark:text-blue-300"
                        aria-expanded={open === d.id}
                        onClick={() => setOpen(open === d.id ? null : d.id)}
                      >
                        {d.attempts} of {d.max_attempts}
                      </button>
                    </td>
                    <td className="max-w-xs px-4 py-3 text-xs break-words">
                      {d.status === 'succeeded'
                        ? d.response_code
                          ? `HTTP ${d.response_code}`
                          : 'Accepted'
                        : d.last_error || '—'}
                      {d.status === 'pending' && d.next_attempt_at && (
                        <span className="block text-slate-500">Next attempt {formatDateTime(d.next_attempt_at)}</span>
                      )}
                    </td>
                  </tr>
                  {open === d.id && (
                    <tr className="bg-slate-50 dark:bg-slate-950">
                      <td colSpan={6} className="px-4 py-3">
                        <ol className="space-y-1 text-xs" aria-label={`Attempts of ${d.title}`}>
                          {d.attempts_log.map((a) => (
                            <li key={a.attempt}>
                              #{a.attempt} {formatDateTime(a.at)} · {a.success ? 'delivered' : 'failed'}
                              {a.response_code ? ` · HTTP ${a.response_code}` : ''} · {a.duration_ms} ms
                              {a.error && <span className="block text-rose-700 dark:text-rose-300">{a.error}</span>}
                            </li>
                          ))}
                        </ol>
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {total > PAGE && (
        <div className="flex items-center justify-between text-sm">
          <span>
            {page * PAGE + 1}–{Math.min(total, (page + 1) * PAGE)} of {total}
          </span>
          <div className="flex gap-2">
            <Button size="sm" disabled={page === 0} onClick={() => setPage(page - 1)}>
              Newer
            </Button>
            <Button size="sm" disabled={(page + 1) * PAGE >= total} onClick={() => setPage(page + 1)}>
              Older
            </Button>
          </div>
        </div>
      )}
    </div>
  );
}
