import { useId, type ReactNode } from 'react';
import type { DependencyHealth, Health } from '../api/health';
import { formatDuration, formatLatency, formatTime } from '../format';
import { BoltIcon, DatabaseIcon, ServerIcon, type IconComponent } from './icons';

type Tone = 'good' | 'bad' | 'neutral';

const toneStyles: Record<Tone, string> = {
  good: 'bg-emerald-50 text-emerald-800 ring-emerald-600/30 dark:bg-emerald-950 dark:text-emerald-200 dark:ring-emerald-400/30',
  bad: 'bg-rose-50 text-rose-800 ring-rose-600/30 dark:bg-rose-950 dark:text-rose-200 dark:ring-rose-400/30',
  neutral: 'bg-slate-100 text-slate-700 ring-slate-500/30 dark:bg-slate-800 dark:text-slate-300 dark:ring-slate-400/30',
};

const dotStyles: Record<Tone, string> = {
  good: 'bg-emerald-500',
  bad: 'bg-rose-500',
  neutral: 'bg-slate-400',
};

// The badge always spells the state out: colour is never the only signal.
function StatusBadge({ tone, children }: { tone: Tone; children: ReactNode }) {
  return (
    <span className={`inline-flex items-center gap-1.5 rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset ${toneStyles[tone]}`}>
      <span className={`h-2 w-2 rounded-full ${dotStyles[tone]}`} aria-hidden="true" />
      {children}
    </span>
  );
}

function Card({
  title,
  icon: Icon,
  status,
  tone,
  children,
}: {
  title: string;
  icon: IconComponent;
  status: string;
  tone: Tone;
  children: ReactNode;
}) {
  const titleId = useId();
  return (
    <section
      aria-labelledby={titleId}
      className="rounded-xl border border-slate-200 bg-white p-5 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="flex items-center gap-3">
        <Icon className="h-5 w-5 text-slate-500 dark:text-slate-400" />
        <h2 id={titleId} className="flex-1 font-semibold">
          {title}
        </h2>
        <StatusBadge tone={tone}>{status}</StatusBadge>
      </div>
      <dl className="mt-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 text-sm">{children}</dl>
    </section>
  );
}

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="min-w-0 break-words">{children}</dd>
    </>
  );
}

const dependencyStatus: Record<DependencyHealth['status'], { label: string; tone: Tone }> = {
  up: { label: 'Up', tone: 'good' },
  down: { label: 'Down', tone: 'bad' },
  disabled: { label: 'Disabled', tone: 'neutral' },
};

function DependencyCard({ title, icon, dep }: { title: string; icon: IconComponent; dep: DependencyHealth }) {
  const { label, tone } = dependencyStatus[dep.status] ?? { label: dep.status, tone: 'neutral' as const };
  return (
    <Card title={title} icon={icon} status={label} tone={tone}>
      {dep.mode && <Row label="Mode">{dep.mode}</Row>}
      {dep.latencyMs !== undefined && <Row label="Latency">{formatLatency(dep.latencyMs)}</Row>}
      {dep.error && (
        <Row label="Error">
          <span className="text-rose-700 dark:text-rose-300">{dep.error}</span>
        </Row>
      )}
      {!dep.mode && dep.latencyMs === undefined && !dep.error && <Row label="Details">None reported</Row>}
    </Card>
  );
}

export function HealthCards({ health }: { health: Health }) {
  const healthy = health.status === 'healthy';
  return (
    <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
      <Card title="Server" icon={ServerIcon} status={healthy ? 'Healthy' : 'Unhealthy'} tone={healthy ? 'good' : 'bad'}>
        <Row label="Version">{health.version}</Row>
        <Row label="Uptime">{formatDuration(health.uptimeSeconds)}</Row>
        <Row label="Reported at">
          <time dateTime={health.timestamp}>{formatTime(health.timestamp)}</time>
        </Row>
      </Card>
      <DependencyCard title="Database" icon={DatabaseIcon} dep={health.database} />
      <DependencyCard title="Redis" icon={BoltIcon} dep={health.redis} />
    </div>
  );
}
