import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { EmptyState } from '../../components/EmptyState';
import { Button, FormError, SelectField } from '../../components/forms';
import { QueueIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { formatDateTime, formatDuration } from '../../format';
import { usePageTitle } from '../../usePageTitle';

type JobRun = Schemas['JobRun'];
type JobInfo = Schemas['JobInfo'];

const jobsKey = ['jobs'] as const;
const PAGE_SIZE = 50;

const STATUS_STYLES: Record<JobRun['status'], string> = {
  active: 'bg-blue-100 text-blue-800 dark:bg-blue-900 dark:text-blue-100',
  completed: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100',
  failed: 'bg-rose-100 text-rose-800 dark:bg-rose-900 dark:text-rose-100',
};

function RunStatus({ run }: { run: Pick<JobRun, 'status'> }) {
  const label = { active: 'Running', completed: 'Completed', failed: 'Failed' }[run.status];
  return <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${STATUS_STYLES[run.status]}`}>{label}</span>;
}

export function describeInterval(seconds: number): string {
  if (seconds <= 0) return 'On demand';
  return `Every ${formatDuration(seconds).replace(/ 0[hms]$/, '')}`;
}

/** The queue dashboard: every background job, its schedule and latest run, and the run history. */
export default function Jobs() {
  usePageTitle('Jobs');
  const { can } = useAuth();
  const toast = useToast();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const job = params.get('job') ?? '';
  const status = params.get('status') ?? '';
  const hostId = params.get('host_id') ?? '';
  const page = Math.max(1, Number(params.get('page') ?? '1') || 1);

  const jobs = useQuery({
    queryKey: [...jobsKey, 'list'],
    queryFn: async ({ signal }) => unwrap(await api.GET('/jobs', { signal })),
    refetchInterval: 10_000,
  });
  const history = useQuery({
    queryKey: [...jobsKey, 'history', job, status, hostId, page],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET('/jobs/history', {
          signal,
          params: {
            query: {
              job: job || undefined,
              status: (status || undefined) as JobRun['status'] | undefined,
              host_id: hostId || undefined,
              limit: PAGE_SIZE,
              offset: (page - 1) * PAGE_SIZE,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    refetchInterval: 10_000,
  });
  const run = useMutation({
    mutationFn: async (name: string) => unwrap(await api.POST('/jobs/{jobName}/run', { params: { path: { jobName: name } } })),
    onSuccess: (_, name) => {
      toast.show(`${name} is queued; its run appears in the history below.`, { kind: 'success' });
      void queryClient.invalidateQueries({ queryKey: jobsKey });
    },
    onError: (err, name) => toast.show(`${name} was not queued: ${err.message}`, { kind: 'error' }),
  });

  const update = (changes: Record<string, string>) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      for (const [k, v] of Object.entries(changes)) {
        if (v) next.set(k, v);
        else next.delete(k);
      }
      if (!('page' in changes)) next.delete('page');
      return next;
    });

  const total = history.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  return (
    <>
      <PageHeader
        title="Jobs"
        description="Background work of every server replica: periodic jobs run once per interval across all replicas, failed runs are retried with growing pauses."
        actions={
          can('can_manage_settings') ? (
            <a
              href="/admin/queues/"
              className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800"
            >
              River queue dashboard
            </a>
          ) : undefined
        }
      />
      <section aria-labelledby="jobs-heading" className="mb-8">
        <h2 id="jobs-heading" className="mb-3 text-base font-semibold">
          Queue dashboard
        </h2>
        {jobs.isPending && (
          <p role="status" className="text-sm text-slate-500">
            Loading jobs…
          </p>
        )}
        {jobs.isError && <FormError>{jobs.error.message}</FormError>}
        {jobs.data && (
          <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <table className="w-full min-w-[56rem] text-left text-sm">
              <caption className="sr-only">Background jobs</caption>
              <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
                <tr>
                  {['Job', 'Schedule', 'Last run', 'Runs', 'Failures', ''].map((h) => (
                    <th key={h} scope="col" className="px-4 py-3 font-semibold">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {jobs.data.jobs.map((j) => (
                  <JobRow key={j.name} job={j} busy={run.isPending && run.variables === j.name} onRun={() => run.mutate(j.name)} onHistory={() => update({ job: j.name })} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="history-heading">
        <h2 id="history-heading" className="mb-3 text-base font-semibold">
          History
        </h2>
        <form role="search" aria-label="Filter the job history" onSubmit={(e) => e.preventDefault()} className="mb-4 grid gap-3 sm:grid-cols-3">
          <SelectField label="Job" value={job} onChange={(e) => update({ job: e.target.value })}>
            <option value="">Every job</option>
            {jobs.data?.jobs.map((j) => (
              <option key={j.name} value={j.name}>
                {j.name}
              </option>
            ))}
          </SelectField>
          <SelectField label="Result" value={status} onChange={(e) => update({ status: e.target.value })}>
            <option value="">Any result</option>
            <option value="active">Running</option>
            <option value="completed">Completed</option>
            <option value="failed">Failed</option>
          </SelectField>
          {hostId && (
            <div className="flex items-end">
              <Button onClick={() => update({ host_id: '' })}>Show every host</Button>
            </div>
          )}
        </form>
        {history.isError && <FormError>{history.error.message}</FormError>}
        {history.data && history.data.runs.length === 0 && (
          <EmptyState icon={QueueIcon} title={job || status || hostId ? 'No run matches these filters.' : 'No job has run yet.'}>
            <p>Periodic jobs run on their schedule once the server is up; use Run now to start one at once.</p>
          </EmptyState>
        )}
        {history.data && history.data.runs.length > 0 && (
          <>
            <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
              <table className="w-full min-w-[56rem] text-left text-sm">
                <caption className="sr-only">Job runs, newest first</caption>
                <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
                  <tr>
                    {['Started', 'Job', 'Result', 'Attempt', 'Took', 'Host', 'Replica', 'Output'].map((h) => (
                      <th key={h} scope="col" className="px-4 py-3 font-semibold">
                        {h}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                  {history.data.runs.map((r) => (
                    <tr key={r.id} className="align-top">
                      <td className="px-4 py-2.5 whitespace-nowrap">
                        <time dateTime={r.started_at}>{formatDateTime(r.started_at)}</time>
                        {r.trigger === 'manual' && <span className="block text-xs text-slate-500 dark:text-slate-400">run by hand</span>}
                      </td>
                      <td className="px-4 py-2.5 font-mono text-xs whitespace-nowrap">{r.job_name}</td>
                      <td className="px-4 py-2.5">
                        <RunStatus run={r} />
                      </td>
                      <td className="px-4 py-2.5">{r.attempt}</td>
                      <td className="px-4 py-2.5">{r.finished_at ? `${r.duration_ms} ms` : '—'}</td>
                      <td className="px-4 py-2.5">
                        {r.host_id ? (
                          <button type="button" className="text-blue-700 hover:underline dark:text-blue-300" onClick={() => update({ host_id: r.host_id ?? '' })}>
                            {r.host_name || r.host_id}
                          </button>
                        ) : (
                          '—'
                        )}
                      </td>
                      <td className="px-4 py-2.5 text-xs">{r.replica}</td>
                      <td className="max-w-md px-4 py-2.5 text-xs break-words whitespace-pre-wrap">
                        {r.error ? <span className="text-rose-700 dark:text-rose-300">{r.error}</span> : r.output || '—'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav aria-label="Job history pages" className="mt-4 flex flex-wrap items-center justify-between gap-3 text-sm">
              <p>{total} runs</p>
              <div className="flex items-center gap-2">
                <Button size="sm" disabled={page <= 1} onClick={() => update({ page: String(page - 1) })}>
                  Newer
                </Button>
                <span>
                  Page {page} of {pages}
                </span>
                <Button size="sm" disabled={page >= pages} onClick={() => update({ page: String(page + 1) })}>
                  Older
                </Button>
              </div>
            </nav>
          </>
        )}
      </section>
    </>
  );
}

function JobRow({ job, busy, onRun, onHistory }: { job: JobInfo; busy: boolean; onRun: () => void; onHistory: () => void }) {
  return (
    <tr className="align-top">
      <th scope="row" className="px-4 py-2.5 font-normal">
        <span className="font-mono text-xs font-semibold">{job.name}</span>
        <span className="block text-xs text-slate-500 dark:text-slate-400">{job.description}</span>
      </th>
      <td className="px-4 py-2.5 whitespace-nowrap">{job.host_job ? 'Per host' : describeInterval(job.interval_seconds)}</td>
      <td className="px-4 py-2.5 whitespace-nowrap">
        {job.last_run ? (
          <>
            <RunStatus run={job.last_run} />
            <time dateTime={job.last_run.started_at} className="block text-xs text-slate-500 dark:text-slate-400">
              {formatDateTime(job.last_run.started_at)}
            </time>
          </>
        ) : (
          'Not yet'
        )}
      </td>
      <td className="px-4 py-2.5">{job.runs}</td>
      <td className="px-4 py-2.5">{job.failures}</td>
      <td className="px-4 py-2.5 text-right whitespace-nowrap">
        <Button size="sm" onClick={onHistory} aria-label={`History of ${job.name}`}>
          History
        </Button>{' '}
        {!job.host_job && (
          <Button size="sm" variant="primary" busy={busy} onClick={onRun} aria-label={`Run ${job.name} now`}>
            Run now
          </Button>
        )}
      </td>
    </tr>
  );
}
