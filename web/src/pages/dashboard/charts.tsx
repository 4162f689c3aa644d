// Hand-written SVG charts, loaded lazily with the dashboard's chart cards so the first
// page load stays small. Every chart has a text equivalent for assistive technology.
import type { Schemas } from '../../api/client';
import { formatDateTime } from '../../format';

type OSCount = Schemas['DashboardOSCount'];
type TrendPoint = Schemas['DashboardTrendPoint'];

const PALETTE = ['#2563eb', '#16a34a', '#f59e0b', '#db2777', '#7c3aed', '#0891b2', '#dc2626', '#65a30d'];
const OTHER_COLOUR = '#94a3b8';

/** The largest groups, with the rest folded into "Other" so the chart stays readable. */
export function topGroups(dist: readonly OSCount[], max = 6): OSCount[] {
  if (dist.length <= max) return [...dist];
  const head = dist.slice(0, max - 1);
  const rest = dist.slice(max - 1).reduce((n, d) => n + d.count, 0);
  return [...head, { name: 'Other', count: rest }];
}

/** A doughnut of hosts per operating system with a legend that carries the numbers. */
export function OsDistributionChart({ distribution }: { distribution: readonly OSCount[] }) {
  const groups = topGroups(distribution);
  const total = groups.reduce((n, g) => n + g.count, 0);
  const r = 15.915; // circumference 100, so dash lengths are percentages
  let offset = 25; // start at 12 o'clock
  return (
    <div className="flex flex-col items-center gap-4 sm:flex-row">
      <svg viewBox="0 0 42 42" className="h-36 w-36 shrink-0" aria-hidden="true">
        <circle cx="21" cy="21" r={r} fill="none" stroke="currentColor" strokeWidth="6" className="text-slate-100 dark:text-slate-800" />
        {groups.map((g, i) => {
          const pct = total > 0 ? (100 * g.count) / total : 0;
          const colour = g.name === 'Other' ? OTHER_COLOUR : PALETTE[i % PALETTE.length];
          const el = (
            <circle
              key={g.name}
              cx="21"
              cy="21"
              r={r}
              fill="none"
              stroke={colour}
              strokeWidth="6"
              strokeDasharray={`${pct} ${100 - pct}`}
              strokeDashoffset={offset}
            />
          );
          offset -= pct;
          return el;
        })}
        <text x="21" y="22.5" textAnchor="middle" className="fill-slate-900 text-[7px] font-semibold dark:fill-slate-100">
          {total}
        </text>
      </svg>
      <ul className="w-full space-y-1.5 text-sm" aria-label="Hosts per operating system">
        {groups.map((g, i) => (
          <li key={g.name} className="flex items-center gap-2">
            <span
              className="h-3 w-3 shrink-0 rounded-sm"
              style={{ background: g.name === 'Other' ? OTHER_COLOUR : PALETTE[i % PALETTE.length] }}
              aria-hidden="true"
            />
            <span className="min-w-0 flex-1 truncate">{g.name}</span>
            <span className="font-medium tabular-nums">{g.count}</span>
            <span className="w-10 text-right text-xs text-slate-500 tabular-nums dark:text-slate-400">
              {total > 0 ? `${Math.round((100 * g.count) / total)}%` : ''}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

interface Series {
  key: 'hostsNeedingUpdates' | 'hostsWithSecurityUpdates' | 'offlineHosts';
  label: string;
  colour: string;
}

export const TREND_SERIES: readonly Series[] = [
  { key: 'hostsNeedingUpdates', label: 'Hosts needing updates', colour: '#f59e0b' },
  { key: 'hostsWithSecurityUpdates', label: 'Hosts with security updates', colour: '#e11d48' },
  { key: 'offlineHosts', label: 'Offline hosts', colour: '#64748b' },
];

const W = 600;
const H = 200;
const PAD = { left: 36, right: 8, top: 8, bottom: 22 };

/** A rounded-up axis maximum: 1, 2, 5, 10, 20, 50, … */
export function niceMax(n: number): number {
  if (n <= 1) return 1;
  const pow = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * pow >= n) return m * pow;
  return 10 * pow;
}

/** Whole-number gridlines: 0, the middle when it is whole, and max. */
export function axisTicks(max: number): number[] {
  return max % 2 === 0 ? [0, max / 2, max] : [0, max];
}

/** Lines of the fleet counters over time, oldest on the left. */
export function TrendChart({ points }: { points: readonly TrendPoint[] }) {
  const times = points.map((p) => new Date(p.capturedAt).getTime());
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const max = niceMax(Math.max(1, ...points.flatMap((p) => TREND_SERIES.map((s) => p[s.key]))));
  const x = (t: number) => PAD.left + (t1 === t0 ? (W - PAD.left - PAD.right) / 2 : ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right));
  const y = (v: number) => PAD.top + (1 - v / max) * (H - PAD.top - PAD.bottom);
  const last = points[points.length - 1];
  return (
    <figure>
      <svg viewBox={`0 0 ${W} ${H}`} className="h-48 w-full" aria-hidden="true" preserveAspectRatio="none">
        {axisTicks(max).map((v) => (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} className="stroke-slate-200 dark:stroke-slate-700" />
            <text x={PAD.left - 6} y={y(v) + 4} textAnchor="end" className="fill-slate-500 text-[11px]">
              {v}
            </text>
          </g>
        ))}
        {TREND_SERIES.map((s) => (
          <polyline
            key={s.key}
            fill="none"
            stroke={s.colour}
            strokeWidth="2"
            vectorEffect="non-scaling-stroke"
            points={points.map((p, i) => `${x(times[i] ?? 0)},${y(p[s.key])}`).join(' ')}
          />
        ))}
        {points.length === 1 &&
          TREND_SERIES.map((s) => <circle key={s.key} cx={x(t0)} cy={y(points[0]?.[s.key] ?? 0)} r="4" fill={s.colour} />)}
      </svg>
      <div className="mt-1 flex justify-between text-xs text-slate-500 dark:text-slate-400" aria-hidden="true">
        <span>{formatDateTime(t0)}</span>
        {t1 !== t0 && <span>{formatDateTime(t1)}</span>}
      </div>
      <figcaption className="mt-3 flex flex-wrap gap-x-4 gap-y-1 text-sm">
        {TREND_SERIES.map((s) => (
          <span key={s.key} className="inline-flex items-center gap-1.5">
            <span className="h-0.5 w-4" style={{ background: s.colour }} aria-hidden="true" />
            {s.label}
            {last && <span className="font-medium tabular-nums">{last[s.key]}</span>}
          </span>
        ))}
      </figcaption>
      <table className="sr-only">
        <caption>Fleet counters over time</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            {TREND_SERIES.map((s) => (
              <th key={s.key} scope="col">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {points.map((p) => (
            <tr key={p.capturedAt}>
              <th scope="row">{formatDateTime(p.capturedAt)}</th>
              {TREND_SERIES.map((s) => (
                <td key={s.key}>{p[s.key]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
