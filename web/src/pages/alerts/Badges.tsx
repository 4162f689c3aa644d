import { capitalise, SEVERITY_STYLES, STATUS_STYLES, type Alert, type AlertSeverity } from './queries';

export function SeverityBadge({ severity }: { severity: AlertSeverity }) {
  return <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${SEVERITY_STYLES[severity]}`}>{capitalise(severity)}</span>;
}

export function StatusBadge({ alert }: { alert: Pick<Alert, 'status' | 'silenced_until'> }) {
  return (
    <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${STATUS_STYLES[alert.status]}`}>
      {capitalise(alert.status)}
    </span>
  );
}
