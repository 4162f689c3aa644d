import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import { Button, Card, Checkbox, FormError } from '../../components/forms';
import { useToast } from '../../components/Toasts';
import { formatDateTime } from '../../format';

const metricsKey = ['settings', 'metrics'] as const;
const versionKey = ['settings', 'version-check'] as const;

/** Anonymous usage metrics: off until an administrator turns them on. */
export function MetricsCard() {
  const toast = useToast();
  const queryClient = useQueryClient();
  const settings = useQuery({
    queryKey: metricsKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/settings/metrics', { signal })),
  });
  const toggle = useMutation({
    mutationFn: async (enabled: boolean) => unwrap(await api.PUT('/settings/metrics', { body: { enabled } })),
    onSuccess: (saved) => {
      queryClient.setQueryData(metricsKey, saved);
      toast.show(saved.enabled ? 'Anonymous metrics reporting is on.' : 'Anonymous metrics reporting is off.', { kind: 'success' });
    },
    onError: (err) => toast.show(`The setting was not saved: ${err.message}`, { kind: 'error' }),
  });
  const regenerate = useMutation({
    mutationFn: async () => unwrap(await api.POST('/settings/metrics/regenerate-id')),
    onSuccess: (saved) => {
      queryClient.setQueryData(metricsKey, saved);
      toast.show('This installation has a new instance id.', { kind: 'success' });
    },
    onError: (err) => toast.show(`The instance id was not changed: ${err.message}`, { kind: 'error' }),
  });

  return (
    <Card
      title="Anonymous metrics"
      description="Once a day, the instance id, the number of hosts and the server version; never IP addresses, host names or package data."
    >
      {settings.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading…
        </p>
      )}
      {settings.isError && <FormError>{settings.error.message}</FormError>}
      {settings.data && (
        <div className="grid gap-3">
          <Checkbox
            label="Send anonymous metrics"
            hint="Off until you turn it on."
            checked={settings.data.enabled}
            disabled={toggle.isPending}
            onChange={(e) => toggle.mutate(e.target.checked)}
          />
          <div className="text-sm">
            <span className="text-slate-500 dark:text-slate-400">Instance id </span>
            <code className="break-all">{settings.data.instance_id}</code>
          </div>
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Last sent: {formatDateTime(settings.data.last_sent_at)}
            {settings.data.last_error && <span className="block text-rose-700 dark:text-rose-300">Last attempt failed: {settings.data.last_error}</span>}
          </p>
          <div>
            <Button size="sm" busy={regenerate.isPending} onClick={() => regenerate.mutate()}>
              Regenerate instance id
            </Button>
          </div>
        </div>
      )}
    </Card>
  );
}

/** The server's version and what the DNS version check found. */
export function VersionCard() {
  const version = useQuery({
    queryKey: versionKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/settings/version-check', { signal })),
  });
  return (
    <Card title="Version" description="The version-update-check job reads the latest releases from DNS once a day; offline installations keep the last known versions.">
      {version.isError && <FormError>{version.error.message}</FormError>}
      {version.data && (
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="text-slate-500 dark:text-slate-400">This server</dt>
          <dd>
            {version.data.current_version || 'unknown'}
            {version.data.server_update_available && <span className="ml-2 font-semibold text-amber-700 dark:text-amber-300">update available</span>}
          </dd>
          <dt className="text-slate-500 dark:text-slate-400">Latest server</dt>
          <dd>{version.data.latest_server_version || 'not known yet'}</dd>
          <dt className="text-slate-500 dark:text-slate-400">Latest agent</dt>
          <dd>{version.data.latest_agent_version || 'not known yet'}</dd>
          <dt className="text-slate-500 dark:text-slate-400">Checked</dt>
          <dd>
            {formatDateTime(version.data.checked_at)}
            {version.data.error && <span className="block text-xs text-slate-500 dark:text-slate-400">Last lookup failed: {version.data.error}</span>}
          </dd>
        </dl>
      )}
    </Card>
  );
}
