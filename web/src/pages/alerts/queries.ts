import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../../api/client';

export type Alert = Schemas['Alert'];
export type AlertType = Schemas['AlertType'];
export type AlertSeverity = Schemas['AlertSeverity'];
export type AlertTypeConfig = Schemas['AlertTypeConfig'];

export const alertsKey = ['alerts'] as const;

export const TYPE_LABELS: Record<AlertType, string> = {
  host_down: 'Host down',
  host_recovered: 'Host back up',
  security_updates: 'Security updates available',
  reboot_required: 'Reboot required',
  agent_outdated: 'Agent out of date',
  server_update: 'Server update available',
  report_failed: 'Report failed',
};

export const SEVERITIES: AlertSeverity[] = ['informational', 'warning', 'error', 'critical'];

export const SEVERITY_STYLES: Record<AlertSeverity, string> = {
  informational: 'bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-100',
  warning: 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100',
  error: 'bg-orange-100 text-orange-900 dark:bg-orange-900 dark:text-orange-100',
  critical: 'bg-rose-100 text-rose-800 dark:bg-rose-900 dark:text-rose-100',
};

export const STATUS_STYLES: Record<Alert['status'], string> = {
  open: 'bg-rose-50 text-rose-800 ring-1 ring-rose-200 dark:bg-rose-950 dark:text-rose-200 dark:ring-rose-800',
  acknowledged: 'bg-blue-50 text-blue-800 ring-1 ring-blue-200 dark:bg-blue-950 dark:text-blue-200 dark:ring-blue-800',
  silenced: 'bg-slate-100 text-slate-700 ring-1 ring-slate-200 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-700',
  resolved: 'bg-emerald-50 text-emerald-800 ring-1 ring-emerald-200 dark:bg-emerald-950 dark:text-emerald-200 dark:ring-emerald-800',
};

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** GET /alerts/assignees, for the assign picker; only asked for by users who may manage alerts. */
export function useAssignees(enabled: boolean) {
  return useQuery({
    queryKey: [...alertsKey, 'assignees'],
    queryFn: async ({ signal }) => unwrap(await api.GET('/alerts/assignees', { signal })),
    enabled,
    staleTime: 60_000,
  });
}
