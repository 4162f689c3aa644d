import type { HostSummary } from './queries';

const styles: Record<HostSummary['status'], string> = {
  active: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200',
  pending: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-200',
  offline: 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300',
};

const labels: Record<HostSummary['status'], string> = { active: 'Active', pending: 'Pending', offline: 'Offline' };

/** The host's report status, with a dot when its agent holds a live connection. */
export function HostStatusBadge({ status, connected }: { status: HostSummary['status']; connected: boolean }) {
  return (
    <span className="inline-flex items-center gap-2">
      <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${styles[status]}`} data-testid="host-status">
        {labels[status]}
      </span>
      {connected && (
        <span className="inline-flex items-center gap-1 text-xs text-emerald-700 dark:text-emerald-300" title="The agent is connected now">
          <span className="h-2 w-2 rounded-full bg-emerald-500" aria-hidden="true" />
          Connected
        </span>
      )}
    </span>
  );
}
