import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { brandingQueryKey, type Branding } from '../../components/Brand';
import { Button, Card, Checkbox, FormError, Notice, SelectField, TextField } from '../../components/forms';
import { splitErrors } from '../../components/formErrors';
import { useToast } from '../../components/Toasts';

type ServerSettings = Schemas['ServerSettings'];
type LogoType = Schemas['BrandingUpload']['logoType'];

export const serverSettingsKey = ['settings', 'server'] as const;

/** The agent report intervals offered (minutes), as upstream offers them. */
const INTERVALS = [5, 10, 15, 30, 45, 60, 120, 180, 360, 720, 1440];

function intervalLabel(m: number): string {
  if (m < 60) return `Every ${m} minutes`;
  if (m === 60) return 'Every hour';
  if (m === 1440) return 'Every day';
  return `Every ${m / 60} hours`;
}

function useServerSettings() {
  return useQuery({
    queryKey: serverSettingsKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/settings', { signal })),
  });
}

/** Server URL and agent policy. */
export function ServerSettingsCard() {
  const settings = useServerSettings();
  return (
    <Card
      title="Server and agents"
      description="Where agents reach this server, how often they report, and how install scripts treat certificates."
    >
      {settings.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading…
        </p>
      )}
      {settings.isError && <FormError>{settings.error.message}</FormError>}
      {settings.data && <ServerSettingsForm settings={settings.data} />}
    </Card>
  );
}

const FIELDS = ['serverProtocol', 'serverHost', 'serverPort', 'updateInterval'] as const;

function ServerSettingsForm({ settings }: { settings: ServerSettings }) {
  const toast = useToast();
  const queryClient = useQueryClient();
  const [protocol, setProtocol] = useState(settings.server_protocol);
  const [host, setHost] = useState(settings.server_host);
  const [port, setPort] = useState(String(settings.server_port));
  const [interval, setInterval] = useState(settings.update_interval);
  const [autoUpdate, setAutoUpdate] = useState(settings.auto_update);
  const [ignoreSsl, setIgnoreSsl] = useState(settings.ignore_ssl_self_signed);
  const [portError, setPortError] = useState<string>();

  const save = useMutation({
    mutationFn: async (body: Schemas['ServerSettingsUpdate']) => unwrap(await api.PUT('/settings', { body })),
    onSuccess: (res) => {
      queryClient.setQueryData(serverSettingsKey, res.settings);
      const n = res.agentsNotified;
      let msg = 'Settings saved.';
      if (n && !n.error && n.delivered === 0) {
        msg += ' No agent is connected right now; hosts read the new interval when their agent next starts.';
      } else if (n && !n.error) {
        msg += ` The new interval reached ${n.delivered} connected ${n.delivered === 1 ? 'agent' : 'agents'}`;
        msg += n.offline > 0 ? `; ${n.offline} offline ${n.offline === 1 ? 'host picks' : 'hosts pick'} it up when it reconnects.` : '.';
      } else if (n?.error) {
        msg += ` ${n.error}.`;
      }
      toast.show(msg, { kind: n?.failed || n?.error ? 'info' : 'success' });
    },
  });
  const errors = splitErrors(save.error, FIELDS);

  const urlChanged = protocol !== settings.server_protocol || host.trim() !== settings.server_host || port !== String(settings.server_port);
  const preview = (() => {
    const p = Number(port);
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    const defaultPort = (protocol === 'https' && p === 443) || (protocol === 'http' && p === 80);
    return `${protocol}://${h || '…'}${defaultPort ? '' : `:${port}`}`;
  })();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const p = Number(port);
    if (!Number.isInteger(p) || p < 1 || p > 65535) {
      setPortError('Port must be between 1 and 65535');
      return;
    }
    setPortError(undefined);
    const body: Schemas['ServerSettingsUpdate'] = { autoUpdate, ignoreSslSelfSigned: ignoreSsl };
    if (urlChanged) Object.assign(body, { serverProtocol: protocol, serverHost: host.trim(), serverPort: p });
    if (interval !== settings.update_interval) body.updateInterval = interval;
    save.mutate(body);
  };

  return (
    <form onSubmit={submit} className="grid gap-4" noValidate>
      <fieldset className="grid gap-3 sm:grid-cols-[8rem_1fr_7rem]">
        <legend className="mb-2 text-sm font-semibold">Server URL</legend>
        <SelectField label="Protocol" value={protocol} onChange={(e) => setProtocol(e.target.value as typeof protocol)} error={errors.fields.serverProtocol}>
          <option value="http">http</option>
          <option value="https">https</option>
        </SelectField>
        <TextField label="Host" value={host} onChange={(e) => setHost(e.target.value)} required error={errors.fields.serverHost} autoComplete="off" />
        <TextField
          label="Port"
          type="number"
          inputMode="numeric"
          min={1}
          max={65535}
          value={port}
          onChange={(e) => setPort(e.target.value)}
          required
          error={portError ?? errors.fields.serverPort}
        />
      </fieldset>
      <p className="-mt-2 text-xs text-slate-500 dark:text-slate-400">
        Install and enrollment scripts point agents at <code className="font-mono">{preview}</code>.{' '}
        {settings.server_url_source === 'environment'
          ? 'Until you save it here, the server uses SERVER_PROTOCOL, SERVER_HOST and SERVER_PORT from its environment.'
          : 'Saved here; it replaces the environment’s SERVER_PROTOCOL, SERVER_HOST and SERVER_PORT.'}
      </p>
      <SelectField
        label="Agent update interval"
        value={String(interval)}
        onChange={(e) => setInterval(Number(e.target.value))}
        error={errors.fields.updateInterval}
        hint="How often agents send a full report. A change is pushed at once to every connected agent."
      >
        {[...new Set([...INTERVALS, settings.update_interval])]
          .sort((a, b) => a - b)
          .map((m) => (
            <option key={m} value={m}>
              {intervalLabel(m)}
            </option>
          ))}
      </SelectField>
      <Checkbox
        label="Let agents update themselves"
        hint="Agents install new versions from this server when one is available. Individual hosts can still opt out."
        checked={autoUpdate}
        onChange={(e) => setAutoUpdate(e.target.checked)}
      />
      <Checkbox
        label="Ignore self-signed certificates"
        hint="Install and enrollment scripts use curl -k and agents skip certificate verification. Only for servers with a self-signed certificate."
        checked={ignoreSsl}
        onChange={(e) => setIgnoreSsl(e.target.checked)}
      />
      {errors.form && <FormError>{errors.form}</FormError>}
      <div>
        <Button type="submit" variant="primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : 'Save settings'}
        </Button>
      </div>
    </form>
  );
}

const ASSETS: { type: LogoType; key: keyof Branding; title: string; hint: string; accept: string; preview: string }[] = [
  {
    type: 'light',
    key: 'logoLight',
    title: 'Logo for light backgrounds',
    hint: 'Shown in the header and on the sign-in page in the light theme.',
    accept: 'image/png,image/jpeg,image/svg+xml,image/x-icon,.ico',
    preview: 'bg-white',
  },
  {
    type: 'dark',
    key: 'logoDark',
    title: 'Logo for dark backgrounds',
    hint: 'Shown in the dark theme.',
    accept: 'image/png,image/jpeg,image/svg+xml,image/x-icon,.ico',
    preview: 'bg-slate-900',
  },
  {
    type: 'favicon',
    key: 'favicon',
    title: 'Favicon',
    hint: 'The browser tab icon. PNG, SVG or ICO.',
    accept: 'image/png,image/svg+xml,image/x-icon,.ico',
    preview: 'bg-slate-100 dark:bg-slate-800',
  },
];

/** Largest file the server accepts. */
export const MAX_ASSET_BYTES = 512 * 1024;

function readAsDataURL(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read'));
    reader.readAsDataURL(file);
  });
}

/** Logos and favicon: upload, preview, reset. */
export function BrandingCard() {
  const branding = useQuery({
    queryKey: brandingQueryKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/settings/branding', { signal })),
  });
  return (
    <Card title="Branding" description="Your own logos and favicon, stored in the database. PNG, JPEG, SVG or ICO, up to 512 KB.">
      {branding.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading…
        </p>
      )}
      {branding.isError && <FormError>{branding.error.message}</FormError>}
      {branding.data && (
        <ul className="grid gap-4 sm:grid-cols-3">
          {ASSETS.map((a) => (
            <BrandingAssetField key={a.type} asset={a} current={branding.data[a.key]} />
          ))}
        </ul>
      )}
    </Card>
  );
}

function BrandingAssetField({ asset, current }: { asset: (typeof ASSETS)[number]; current: Schemas['BrandingAsset'] }) {
  const toast = useToast();
  const queryClient = useQueryClient();
  const inputId = useId();
  const [error, setError] = useState<string>();
  const [inputKey, setInputKey] = useState(0);
  const done = (b: Branding, msg: string) => {
    queryClient.setQueryData(brandingQueryKey, b);
    void queryClient.invalidateQueries({ queryKey: ['settings', 'server'] });
    toast.show(msg, { kind: 'success' });
    setInputKey((k) => k + 1);
  };
  const upload = useMutation({
    mutationFn: async (file: File) => {
      if (file.size > MAX_ASSET_BYTES) throw new Error(`${file.name} is larger than 512 KB`);
      const fileContent = await readAsDataURL(file);
      return unwrap(await api.POST('/settings/logos/upload', { body: { logoType: asset.type, fileContent, fileName: file.name } }));
    },
    onSuccess: (res) => done(res.branding, res.message),
    onError: (err) => setError(err.message),
  });
  const reset = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/settings/logos/{logoType}', { params: { path: { logoType: asset.type } } })),
    onSuccess: (res) => done(res.branding, res.message),
    onError: (err) => setError(err.message),
  });
  useEffect(() => setError(undefined), [current.url]);
  const busy = upload.isPending || reset.isPending;

  return (
    <li className="flex flex-col gap-2" data-branding={asset.type}>
      <span className="text-sm font-medium">{asset.title}</span>
      <div className={`flex h-20 items-center justify-center rounded-md border border-slate-200 p-2 dark:border-slate-700 ${asset.preview}`}>
        <img src={current.url} alt={`Current ${asset.title.toLowerCase()}`} className="max-h-full max-w-full object-contain" />
      </div>
      <span className="text-xs text-slate-500 dark:text-slate-400">{current.custom ? 'Uploaded' : 'Default'}</span>
      <label htmlFor={inputId} className="sr-only">
        Upload {asset.title.toLowerCase()}
      </label>
      <input
        key={inputKey}
        id={inputId}
        type="file"
        accept={asset.accept}
        disabled={busy}
        aria-describedby={`${inputId}-hint`}
        onChange={(e) => {
          const file = e.target.files?.[0];
          setError(undefined);
          if (file) upload.mutate(file);
        }}
        className="block w-full text-xs file:mr-2 file:rounded-md file:border-0 file:bg-blue-600 file:px-3 file:py-1.5 file:text-white hover:file:bg-blue-700"
      />
      <p id={`${inputId}-hint`} className="text-xs text-slate-500 dark:text-slate-400">
        {asset.hint}
      </p>
      {busy && <Notice>{upload.isPending ? 'Uploading…' : 'Resetting…'}</Notice>}
      {error && <FormError>{error}</FormError>}
      {current.custom && (
        <div>
          <Button type="button" size="sm" variant="secondary" onClick={() => reset.mutate()} disabled={busy}>
            Reset to default
          </Button>
        </div>
      )}
    </li>
  );
}
