import { HEALTH_REFRESH_MS, useHealth } from '../api/health';
import { HealthCards } from '../components/HealthCards';
import { RefreshIcon } from '../components/icons';
import { PageHeader } from '../components/PageHeader';
import { formatTime } from '../format';
import { usePageTitle } from '../usePageTitle';

export default function Dashboard() {
  usePageTitle('Dashboard');
  const health = useHealth();
  const every = `every ${HEALTH_REFRESH_MS / 1000} seconds`;

  const refresh = (
    <button
      type="button"
      onClick={() => void health.refetch()}
      disabled={health.isFetching}
      className="inline-flex items-center gap-2 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 disabled:opacity-60 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800"
    >
      <RefreshIcon className={`h-4 w-4 ${health.isFetching ? 'motion-safe:animate-spin' : ''}`} />
      {health.isFetching ? 'Checking…' : 'Check now'}
    </button>
  );

  return (
    <>
      <PageHeader
        title="Dashboard"
        description={
          health.dataUpdatedAt > 0
            ? `Server health, checked at ${formatTime(health.dataUpdatedAt)} and ${every}.`
            : `Server health, checked ${every}.`
        }
        actions={refresh}
      />

      {health.isPending && (
        <p role="status" className="text-sm text-slate-500 dark:text-slate-400">
          Checking server health…
        </p>
      )}

      {health.isError && (
        <div
          role="alert"
          className="mb-4 rounded-xl border border-rose-300 bg-rose-50 p-4 text-sm text-rose-900 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-100"
        >
          <p className="font-semibold">Cannot read the server's health.</p>
          <p className="mt-1">
            {health.error.message}
            {health.data ? ' The cards below show the last successful check.' : ''}
          </p>
        </div>
      )}

      {health.data && <HealthCards health={health.data} />}
    </>
  );
}
