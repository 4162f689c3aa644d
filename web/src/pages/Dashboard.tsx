import { lazy, Suspense, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { HEALTH_REFRESH_MS, useHealth } from '../api/health';
import { useAuth } from '../auth/AuthProvider';
import { HealthCards } from '../components/HealthCards';
import { RefreshIcon } from '../components/icons';
import { Button, FormError } from '../components/forms';

import { PageHeader } from '../components/PageHeader';
import { useToast } from '../components/Toasts';
import { formatDateTime, formatTime } from '../format';
import { usePageTitle } from '../usePageTitle';
import {
  cardById,
  defaultLayout,
  mergeLayout,
  move,
  toPreferences,
  type DashboardCard,
  type LayoutEntry,
  type StatCard,
  type Stats,
} from './dashboard/cards';
import { useLiveDashboard } from './dashboard/live';
import { useLayout, useRecentActivity, useSaveLayout, useStats, useTrends, type TrendRange } from './dashboard/queries';

// The charts are their own chunk: the first page load carries no chart code.
const OsDistributionChart = lazy(() => import('./dashboard/charts').then((m) => ({ default: m.OsDistributionChart })));
const TrendChart = lazy(() => import('./dashboard/charts').then((m) => ({ default: m.TrendChart })));

export default function Dashboard() {
  usePageTitle('Dashboard');
  const { can } = useAuth();
  const stats = useStats();
  const layout = useLayout();
  const [editing, setEditing] = useState(false);
  useLiveDashboard(can('can_view_hosts'));

  const entries = layout.data ? mergeLayout(layout.data.preferences) : defaultLayout();
  const shown = entries.filter((e) => e.enabled).map((e) => cardById(e.id)).filter((c): c is DashboardCard => !!c);
  const statCards = shown.filter((c): c is StatCard => c.kind === 'stat');
  const panels = shown.filter((c) => c.kind !== 'stat');

  const customise = (
    <Button type="button" variant="secondary" onClick={() => setEditing(true)} disabled={editing || layout.isPending} aria-expanded={editing}>
      Customise
    </Button>
  );

  return (
    <>
      <PageHeader
        title="Dashboard"
        description={
          stats.dataUpdatedAt > 0 ? `Your fleet at a glance, updated at ${formatTime(stats.dataUpdatedAt)}.` : 'Your fleet at a glance.'
        }
        actions={customise}
      />

      {editing && <CustomisePanel initial={entries} onClose={() => setEditing(false)} />}

      {stats.isError && <FormError>Cannot load the fleet statistics: {stats.error.message}</FormError>}
      {stats.isPending && (
        <p role="status" className="text-sm text-slate-500 dark:text-slate-400">
          Loading fleet statistics…
        </p>
      )}

      {stats.data && stats.data.totalHosts === 0 && <NoHosts canAdd={can('can_manage_hosts')} />}

      {shown.length === 0 && !editing && (
        <div className="rounded-xl border border-dashed border-slate-300 p-8 text-center text-sm text-slate-600 dark:border-slate-700 dark:text-slate-400">
          Every card is hidden. Choose <strong>Customise</strong> to show some again.
        </div>
      )}

      {stats.data && statCards.length > 0 && (
        <ul aria-label="Fleet totals" className="mb-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4">
          {statCards.map((c) => (
            <li key={c.id}>
              <StatCardView card={c} stats={stats.data} />
            </li>
          ))}
        </ul>
      )}

      {panels.length > 0 && (
        <div className="grid gap-4 xl:grid-cols-2">
          {panels.map((c) => (
            <PanelView key={c.id} card={c} stats={stats.data} />
          ))}
        </div>
      )}
    </>
  );
}

function NoHosts({ canAdd }: { canAdd: boolean }) {
  return (
    <div className="mb-6 rounded-xl border border-blue-200 bg-blue-50 p-4 text-sm text-blue-900 dark:border-blue-900 dark:bg-blue-950 dark:text-blue-100">
      <p className="font-semibold">No hosts yet.</p>
      <p className="mt-1">
        {canAdd ? (
          <>
            Add a host on the <Link to="/hosts" className="underline">Hosts</Link> page and run its install command; its numbers show
            up here after the agent's first report.
          </>
        ) : (
          'Hosts appear here once an administrator enrols them and their agents report.'
        )}
      </p>
    </div>
  );
}

const toneRing: Record<StatCard['tone'], string> = {
  neutral: 'text-slate-900 dark:text-slate-100',
  warning: 'text-amber-700 dark:text-amber-300',
  danger: 'text-rose-700 dark:text-rose-300',
  good: 'text-emerald-700 dark:text-emerald-300',
};

function StatCardView({ card, stats }: { card: StatCard; stats: Stats }) {
  const value = card.value(stats);
  return (
    <Link
      to={card.href}
      data-card={card.id}
      className="block h-full rounded-xl border border-slate-200 bg-white p-5 shadow-sm hover:border-blue-400 hover:shadow focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 dark:border-slate-800 dark:bg-slate-900 dark:hover:border-blue-600"
    >
      <span className="block text-sm font-medium text-slate-600 dark:text-slate-400">{card.title}</span>
      <span className={`mt-1 block text-3xl font-semibold tabular-nums ${value > 0 ? toneRing[card.tone] : ''}`}>{value}</span>
      {card.detail && <span className="mt-1 block text-xs text-slate-500 dark:text-slate-400">{card.detail(stats)}</span>}
    </Link>
  );
}

function Panel({ title, actions, children, id }: { title: string; actions?: ReactNode; children: ReactNode; id: string }) {
  const titleId = useId();
  return (
    <section
      aria-labelledby={titleId}
      data-card={id}
      className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="mb-4 flex items-center gap-3">
        <h2 id={titleId} className="flex-1 font-semibold">
          {title}
        </h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

function ChartLoading() {
  return (
    <p role="status" className="text-sm text-slate-500 dark:text-slate-400">
      Loading chart…
    </p>
  );
}

function PanelView({ card, stats }: { card: DashboardCard; stats?: Stats }) {
  switch (card.kind) {
    case 'osDistribution':
      return (
        <Panel title={card.title} id={card.id}>
          {!stats ? (
            <ChartLoading />
          ) : stats.osDistribution.length === 0 ? (
            <p className="text-sm text-slate-500 dark:text-slate-400">No hosts yet: the chart fills in as agents report their operating system.</p>
          ) : (
            <Suspense fallback={<ChartLoading />}>
              <OsDistributionChart distribution={stats.osDistribution} />
            </Suspense>
          )}
        </Panel>
      );
    case 'updateTrends':
      return <TrendsPanel card={card} />;
    case 'recentActivity':
      return <ActivityPanel card={card} />;
    case 'serverHealth':
      return <HealthPanel />;
    default:
      return null;
  }
}

const RANGES: { value: TrendRange; label: string }[] = [
  { value: '24h', label: '24 hours' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
];

function TrendsPanel({ card }: { card: DashboardCard }) {
  const [range, setRange] = useState<TrendRange>('7d');
  const trends = useTrends(range);
  const selectId = useId();
  const picker = (
    <span className="flex items-center gap-2 text-sm">
      <label htmlFor={selectId} className="text-slate-600 dark:text-slate-400">
        Period
      </label>
      <select
        id={selectId}
        value={range}
        onChange={(e) => setRange(e.target.value as TrendRange)}
        className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-950"
      >
        {RANGES.map((r) => (
          <option key={r.value} value={r.value}>
            {r.label}
          </option>
        ))}
      </select>
    </span>
  );
  return (
    <Panel title={card.title} id={card.id} actions={picker}>
      {trends.isError && <FormError>{trends.error.message}</FormError>}
      {trends.isPending && <ChartLoading />}
      {trends.data && trends.data.points.length === 0 && (
        <p className="text-sm text-slate-500 dark:text-slate-400">
          No statistics for this period yet. The server records the fleet's counters every 30 minutes.
        </p>
      )}
      {trends.data && trends.data.points.length > 0 && (
        <Suspense fallback={<ChartLoading />}>
          <TrendChart points={trends.data.points} />
        </Suspense>
      )}
    </Panel>
  );
}

function ActivityPanel({ card }: { card: DashboardCard }) {
  const activity = useRecentActivity();
  return (
    <Panel title={card.title} id={card.id}>
      {activity.isError && <FormError>{activity.error.message}</FormError>}
      {activity.isPending && <ChartLoading />}
      {activity.data && activity.data.items.length === 0 && (
        <p className="text-sm text-slate-500 dark:text-slate-400">No reports yet: agents report here after they are installed.</p>
      )}
      {activity.data && activity.data.items.length > 0 && (
        <ul className="divide-y divide-slate-100 text-sm dark:divide-slate-800">
          {activity.data.items.map((a) => (
            <li key={a.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2">
              <Link to={`/hosts/${a.hostId}`} className="font-medium text-blue-700 hover:underline dark:text-blue-300">
                {a.hostName}
              </Link>
              <span className="text-slate-500 dark:text-slate-400">{a.reportType === 'full' ? 'Full report' : 'Partial report'}</span>
              {a.status === 'error' ? (
                <span className="rounded-full bg-rose-50 px-2 py-0.5 text-xs font-semibold text-rose-800 dark:bg-rose-950 dark:text-rose-200">
                  Failed{a.errorMessage ? `: ${a.errorMessage}` : ''}
                </span>
              ) : (
                <span className="text-slate-700 dark:text-slate-300">
                  {a.packagesCount} {a.packagesCount === 1 ? 'update' : 'updates'}
                  {a.securityCount > 0 && `, ${a.securityCount} security`}
                </span>
              )}
              <time dateTime={a.createdAt} className="ml-auto text-xs text-slate-500 dark:text-slate-400">
                {formatDateTime(a.createdAt)}
              </time>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

/** The server's own health (GET /health), checked on an interval. */
function HealthPanel() {
  const health = useHealth();
  return (
    // Not a region of its own: the Server, Database and Redis cards inside are.
    <div data-card="serverHealth" className="xl:col-span-2">
      <div className="mb-3 flex items-center gap-3">
        <h2 className="flex-1 font-semibold">Server Health</h2>
        <button
          type="button"
          onClick={() => void health.refetch()}
          disabled={health.isFetching}
          className="inline-flex items-center gap-2 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 disabled:opacity-60 dark:border-slate-700 dark:bg-slate-900 dark:hover:bg-slate-800"
        >
          <RefreshIcon className={`h-4 w-4 ${health.isFetching ? 'motion-safe:animate-spin' : ''}`} />
          {health.isFetching ? 'Checking…' : 'Check now'}
        </button>
      </div>
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
      <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">Checked every {HEALTH_REFRESH_MS / 1000} seconds.</p>
    </div>
  );
}

/** Shows, hides and reorders cards; nothing changes on the server until Save. */
function CustomisePanel({ initial, onClose }: { initial: LayoutEntry[]; onClose: () => void }) {
  const [draft, setDraft] = useState(initial);
  const save = useSaveLayout();
  const toast = useToast();
  const headingId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  // After a move, keep keyboard focus on the button that moved the card.
  const [focusKey, setFocusKey] = useState<string | null>(null);
  const buttons = useRef(new Map<string, HTMLButtonElement>());

  useEffect(() => headingRef.current?.focus(), []);
  useEffect(() => {
    if (focusKey) buttons.current.get(focusKey)?.focus();
  }, [focusKey, draft]);

  const moveCard = (index: number, delta: number) => {
    const id = draft[index]?.id;
    const next = move(draft, index, delta);
    setDraft(next);
    if (!id) return;
    const at = index + delta;
    // At an end the button is disabled; move focus to its still-usable partner.
    const dir = at === 0 ? 'down' : at === next.length - 1 ? 'up' : delta < 0 ? 'up' : 'down';
    setFocusKey(`${id}:${dir}`);
  };

  const submit = () =>
    save.mutate(toPreferences(draft), {
      onSuccess: () => {
        toast.show('Dashboard layout saved.', { kind: 'success' });
        onClose();
      },
      onError: (err) => toast.show(`The layout was not saved: ${err.message}`, { kind: 'error' }),
    });

  return (
    <section
      aria-labelledby={headingId}
      className="mb-6 rounded-xl border border-blue-200 bg-blue-50/50 p-5 dark:border-blue-900 dark:bg-blue-950/40"
    >
      <h2 id={headingId} ref={headingRef} tabIndex={-1} className="font-semibold outline-none">
        Customise dashboard
      </h2>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
        Choose the cards to show and their order. The layout is saved to your account and follows you to other browsers.
      </p>
      <ol aria-label="Dashboard cards" className="mt-4 divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
        {draft.map((entry, i) => {
          const card = cardById(entry.id);
          if (!card) return null;
          return (
            <li key={entry.id} className="flex items-center gap-3 px-3 py-2" data-layout-card={entry.id}>
              <label className="flex flex-1 items-center gap-2 text-sm">
                <input
                  type="checkbox"
                  checked={entry.enabled}
                  onChange={(e) => setDraft(draft.map((d) => (d.id === entry.id ? { ...d, enabled: e.target.checked } : d)))}
                  className="h-4 w-4 rounded border-slate-300"
                />
                <span className={entry.enabled ? '' : 'text-slate-500 dark:text-slate-400'}>Show {card.title}</span>
              </label>
              <button
                type="button"
                ref={(el) => {
                  if (el) buttons.current.set(`${entry.id}:up`, el);
                  else buttons.current.delete(`${entry.id}:up`);
                }}
                onClick={() => moveCard(i, -1)}
                disabled={i === 0}
                aria-label={`Move ${card.title} up`}
                className="rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-blue-500 disabled:opacity-40 dark:border-slate-700 dark:hover:bg-slate-800"
              >
                ↑
              </button>
              <button
                type="button"
                ref={(el) => {
                  if (el) buttons.current.set(`${entry.id}:down`, el);
                  else buttons.current.delete(`${entry.id}:down`);
                }}
                onClick={() => moveCard(i, 1)}
                disabled={i === draft.length - 1}
                aria-label={`Move ${card.title} down`}
                className="rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-blue-500 disabled:opacity-40 dark:border-slate-700 dark:hover:bg-slate-800"
              >
                ↓
              </button>
            </li>
          );
        })}
      </ol>
      <div className="mt-4 flex flex-wrap gap-2">
        <Button type="button" variant="primary" onClick={submit} disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save layout'}
        </Button>
        <Button type="button" variant="secondary" onClick={onClose} disabled={save.isPending}>
          Cancel
        </Button>
        <Button type="button" variant="secondary" onClick={() => setDraft(defaultLayout())} disabled={save.isPending}>
          Reset to default
        </Button>
      </div>
      <p className="sr-only" aria-live="polite">
        {draft.filter((d) => d.enabled).length} of {draft.length} cards shown.
      </p>
    </section>
  );
}


