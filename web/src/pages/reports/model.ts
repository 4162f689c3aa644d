import type { Schemas } from '../../api/client';

export type Schedule = Schemas['ReportSchedule'];
export type ScheduleInput = Schemas['ReportScheduleInput'];
export type Run = Schemas['ReportRun'];
export type ReportFormat = Schemas['ReportFormat'];
export type ReportOptions = Schemas['ReportOptions'];

export const schedulesQueryKey = ['scheduled-reports'] as const;
export const runsQueryKey = (id: string) => ['scheduled-reports', id, 'runs'] as const;

export const formatLabels: Record<ReportFormat, string> = {
  html: 'HTML (inline in email)',
  csv: 'CSV (hosts and top packages)',
  json: 'JSON',
};

/** Common schedules offered as a starting point. */
export const cronPresets: { label: string; cron: string }[] = [
  { label: 'Every day at 08:00', cron: '0 8 * * *' },
  { label: 'Every Monday at 08:00', cron: '0 8 * * 1' },
  { label: 'Weekdays at 07:30', cron: '30 7 * * 1-5' },
  { label: 'First day of the month at 09:00', cron: '0 9 1 * *' },
  { label: 'Every hour', cron: '0 * * * *' },
];

/** The label of a preset matching cron, or the expression itself. */
export function describeCron(cron: string): string {
  const norm = cron.trim().split(/\s+/).join(' ');
  return cronPresets.find((p) => p.cron === norm)?.label ?? norm;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export interface ScheduleForm {
  name: string;
  enabled: boolean;
  cron: string;
  timezone: string;
  format: ReportFormat;
  topPackages: string;
  hostGroupIds: string[];
  destinationIds: string[];
}

export function initialForm(s: Schedule | undefined, defaultTimezone: string): ScheduleForm {
  return {
    name: s?.name ?? '',
    enabled: s?.enabled ?? true,
    cron: s?.cron ?? '0 8 * * 1',
    timezone: s?.timezone ?? defaultTimezone,
    format: s?.format ?? 'html',
    topPackages: String(s?.top_packages ?? 10),
    hostGroupIds: s?.host_group_ids ?? [],
    destinationIds: s?.destination_ids ?? [],
  };
}

/** Client-side checks; the server validates the cron expression (the preview shows it). */
export function validateForm(f: ScheduleForm): Partial<Record<'name' | 'cron' | 'top_packages' | 'destination_ids', string>> {
  const e: Partial<Record<'name' | 'cron' | 'top_packages' | 'destination_ids', string>> = {};
  if (!f.name.trim()) e.name = 'Give the report a name.';
  if (!f.cron.trim()) e.cron = 'Enter a cron expression or pick a preset.';
  const n = Number(f.topPackages);
  if (!Number.isInteger(n) || n < 0 || n > 100) e.top_packages = 'Top packages must be a whole number from 0 to 100.';
  if (f.destinationIds.length === 0) e.destination_ids = 'Choose at least one destination.';
  return e;
}

export function toInput(f: ScheduleForm): ScheduleInput {
  return {
    name: f.name.trim(),
    enabled: f.enabled,
    cron: f.cron.trim(),
    timezone: f.timezone.trim() || undefined,
    format: f.format,
    top_packages: Number(f.topPackages),
    host_group_ids: f.hostGroupIds,
    destination_ids: f.destinationIds,
  };
}
