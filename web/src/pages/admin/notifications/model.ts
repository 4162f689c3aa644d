import type { Schemas } from '../../../api/client';

export type Destination = Schemas['NotificationDestination'];
export type DestinationType = Schemas['NotificationDestinationType'];
export type DestinationCreate = Schemas['NotificationDestinationCreate'];
export type Route = Schemas['NotificationRoute'];
export type RouteInput = Schemas['NotificationRouteInput'];
export type Delivery = Schemas['NotificationDelivery'];
export type Severity = Schemas['NotificationSeverity'];
export type Options = Schemas['NotificationOptions'];

export const destinationsQueryKey = ['notifications', 'destinations'] as const;
export const routesQueryKey = ['notifications', 'routes'] as const;
export const deliveriesQueryKey = ['notifications', 'deliveries'] as const;
export const optionsQueryKey = ['notifications', 'options'] as const;

export const typeLabels: Record<DestinationType, string> = {
  webhook: 'Webhook',
  email: 'Email (SMTP)',
  ntfy: 'ntfy',
  gotify: 'Gotify',
  slack: 'Slack',
  discord: 'Discord',
  teams: 'Microsoft Teams',
};

export const typeDescriptions: Record<DestinationType, string> = {
  webhook: 'POSTs a JSON payload signed with HMAC-SHA256 to any URL.',
  email: 'Sends email through your SMTP server.',
  ntfy: 'Publishes to an ntfy topic (ntfy.sh or your own server).',
  gotify: 'Sends a message to a Gotify server as an application.',
  slack: 'Posts to a Slack channel through an incoming webhook.',
  discord: 'Posts to a Discord channel through a channel webhook.',
  teams: 'Posts an Adaptive Card to Microsoft Teams through an incoming webhook or Workflow.',
};

export const severityLabels: Record<Severity, string> = {
  informational: 'Informational',
  warning: 'Warning',
  error: 'Error',
  critical: 'Critical',
};

export const eventLabels: Record<string, string> = {
  host_down: 'Host down',
  host_up: 'Host back up',
  security_updates: 'Security updates available',
  reboot_required: 'Reboot required',
  agent_outdated: 'Agent out of date',
  server_update: 'Server update available',
  report_failed: 'Scheduled report failed',
  report: 'Scheduled report',
  test: 'Test',
};

export const eventLabel = (t: string) => eventLabels[t] ?? t;

/** One input of the destination form. Secret fields are write-only. */
export interface FieldDef {
  key: FieldKey;
  label: string;
  secret?: boolean;
  input: 'text' | 'url' | 'email' | 'number' | 'password' | 'select' | 'checkbox' | 'list' | 'headers';
  required?: boolean;
  placeholder?: string;
  hint?: string;
  options?: { value: string; label: string }[];
}

export type FieldKey =
  | 'url'
  | 'host'
  | 'port'
  | 'security'
  | 'username'
  | 'from'
  | 'to'
  | 'tls_skip_verify'
  | 'server_url'
  | 'topic'
  | 'signing_secret'
  | 'headers'
  | 'password'
  | 'token'
  | 'webhook_url';

const secretKeys: FieldKey[] = ['signing_secret', 'headers', 'password', 'token', 'webhook_url'];

export const typeFields: Record<DestinationType, FieldDef[]> = {
  webhook: [
    { key: 'url', label: 'URL', input: 'url', required: true, placeholder: 'https://example.com/patchmon-hook' },
    {
      key: 'signing_secret',
      label: 'Signing secret',
      secret: true,
      input: 'password',
      hint: 'Signs each request: X-PatchMon-Signature is sha256=HMAC(secret, timestamp + "." + body).',
    },
    {
      key: 'headers',
      label: 'Extra headers',
      secret: true,
      input: 'headers',
      placeholder: 'Authorization: Bearer …',
      hint: 'One "Name: value" per line. Stored encrypted.',
    },
  ],
  email: [
    { key: 'host', label: 'SMTP host', input: 'text', required: true, placeholder: 'smtp.example.com' },
    {
      key: 'security',
      label: 'Security',
      input: 'select',
      options: [
        { value: 'starttls', label: 'STARTTLS (port 587)' },
        { value: 'tls', label: 'TLS (port 465)' },
        { value: 'none', label: 'None (port 25)' },
      ],
    },
    { key: 'port', label: 'Port', input: 'number', hint: 'Leave empty for the usual port of the security setting.' },
    { key: 'username', label: 'Username', input: 'text' },
    { key: 'password', label: 'Password', secret: true, input: 'password' },
    { key: 'from', label: 'From', input: 'text', required: true, placeholder: 'PatchMon <patchmon@example.com>' },
    { key: 'to', label: 'To', input: 'list', required: true, placeholder: 'ops@example.com, security@example.com', hint: 'Separate addresses with commas.' },
    { key: 'tls_skip_verify', label: 'Accept any server certificate (self-signed relays)', input: 'checkbox' },
  ],
  ntfy: [
    { key: 'server_url', label: 'Server URL', input: 'url', placeholder: 'https://ntfy.sh', hint: 'Leave empty for https://ntfy.sh.' },
    { key: 'topic', label: 'Topic', input: 'text', required: true, placeholder: 'patchmon-alerts' },
    { key: 'token', label: 'Access token', secret: true, input: 'password', hint: 'For protected topics.' },
  ],
  gotify: [
    { key: 'server_url', label: 'Server URL', input: 'url', required: true, placeholder: 'https://gotify.example.com' },
    { key: 'token', label: 'Application token', secret: true, input: 'password', required: true },
  ],
  slack: [
    { key: 'webhook_url', label: 'Incoming webhook URL', secret: true, input: 'password', required: true, placeholder: 'https://hooks.slack.com/services/…' },
  ],
  discord: [
    { key: 'webhook_url', label: 'Webhook URL', secret: true, input: 'password', required: true, placeholder: 'https://discord.com/api/webhooks/…' },
  ],
  teams: [
    { key: 'webhook_url', label: 'Webhook URL', secret: true, input: 'password', required: true, placeholder: 'https://….webhook.office.com/…' },
  ],
};

export type FormValues = Partial<Record<FieldKey, string>>;

/** The form's starting values: the configuration of a destination (secrets stay empty). */
export function initialValues(d?: Destination): FormValues {
  if (!d) return { security: 'starttls' };
  const c = d.config;
  return {
    url: c.url ?? '',
    host: c.host ?? '',
    port: c.port ? String(c.port) : '',
    security: c.security ?? 'starttls',
    username: c.username ?? '',
    from: c.from ?? '',
    to: (c.to ?? []).join(', '),
    tls_skip_verify: c.tls_skip_verify ? 'true' : '',
    server_url: c.server_url ?? '',
    topic: c.topic ?? '',
  };
}

/** Whether a destination already stores a secret (the masked value is shown instead). */
export function secretSet(d: Destination | undefined, key: FieldKey): string | undefined {
  if (!d) return undefined;
  const s = d.secrets as Record<string, unknown>;
  if (key === 'headers') {
    const h = s.headers as Record<string, string> | undefined;
    return h && Object.keys(h).length > 0 ? Object.keys(h).map((k) => `${k}: ••••`).join(', ') : undefined;
  }
  return typeof s[key] === 'string' ? (s[key] as string) : undefined;
}

/** "Name: value" lines to a header map; lines without a colon are ignored. */
export function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim();
    if (name) out[name] = line.slice(i + 1).trim();
  }
  return out;
}

export const splitList = (s: string) =>
  s
    .split(/[,\n;]/)
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * The request body for a destination form. Secrets are sent only when typed: when
 * editing, an empty secret field keeps what the server stores.
 */
export function buildBody(type: DestinationType, name: string, enabled: boolean, values: FormValues): DestinationCreate {
  const fields = typeFields[type];
  const has = (k: FieldKey) => fields.some((f) => f.key === k);
  const v = (k: FieldKey) => (values[k] ?? '').trim();
  const config: NonNullable<DestinationCreate['config']> = {};
  if (has('url')) config.url = v('url');
  if (has('host')) config.host = v('host');
  if (has('port') && v('port')) config.port = Number(v('port'));
  if (has('security') && v('security')) config.security = v('security') as 'starttls' | 'tls' | 'none';
  if (has('username') && v('username')) config.username = v('username');
  if (has('from')) config.from = v('from');
  if (has('to')) config.to = splitList(values.to ?? '');
  if (has('tls_skip_verify')) config.tls_skip_verify = values.tls_skip_verify === 'true';
  if (has('server_url') && v('server_url')) config.server_url = v('server_url');
  if (has('topic')) config.topic = v('topic');
  const secrets: NonNullable<DestinationCreate['secrets']> = {};
  for (const f of fields) {
    if (!f.secret || !secretKeys.includes(f.key) || !v(f.key)) continue;
    if (f.key === 'headers') secrets.headers = parseHeaders(values.headers ?? '');
    else (secrets as Record<string, string>)[f.key] = v(f.key);
  }
  const body: DestinationCreate = { name: name.trim(), type, enabled, config };
  if (Object.keys(secrets).length > 0) body.secrets = secrets;
  return body;
}

/** Client-side checks before sending; the server checks everything again. */
export function validate(type: DestinationType, name: string, values: FormValues, existing?: Destination): Partial<Record<FieldKey | 'name', string>> {
  const errors: Partial<Record<FieldKey | 'name', string>> = {};
  if (!name.trim()) errors.name = 'Give the destination a name.';
  for (const f of typeFields[type]) {
    const value = (values[f.key] ?? '').trim();
    if (f.required && !value && !(f.secret && secretSet(existing, f.key))) errors[f.key] = `${f.label} is required.`;
    if (value && (f.input === 'url' || f.key === 'webhook_url') && !/^https?:\/\/[^\s/]+/i.test(value)) {
      errors[f.key] = `${f.label} must start with http:// or https://.`;
    }
    if (value && f.input === 'number' && !(Number(value) >= 1 && Number(value) <= 65535)) errors[f.key] = 'Port must be between 1 and 65535.';
  }
  if (type === 'email' && values.password?.trim() && !values.username?.trim()) errors.username = 'A username is required with a password.';
  return errors;
}

/** The server names fields as config.url or secrets.token; the form uses the last part. */
export function fieldFromServer(field: string | undefined): string | undefined {
  return field ? field.split('.').pop() : undefined;
}

/** A random signing secret (32 bytes, hex). */
export function generateSecret(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Where a destination sends to, for the list (no secrets: those are masked anyway). */
export function destinationTarget(d: Destination): string {
  const c = d.config;
  switch (d.type) {
    case 'webhook':
      return c.url ?? '';
    case 'email':
      return `${(c.to ?? []).join(', ')} via ${c.host ?? ''}`;
    case 'ntfy':
      return `${c.server_url ?? 'https://ntfy.sh'}/${c.topic ?? ''}`;
    case 'gotify':
      return c.server_url ?? '';
    default:
      return d.secrets.webhook_url ?? '';
  }
}

/** A one-line description of what a route matches. */
export function routeSummary(r: Route, names: { groups: Map<string, string>; hosts: Map<string, string> }): string {
  const types = r.event_types.length === 0 ? 'All events' : r.event_types.map(eventLabel).join(', ');
  const parts = [types, `${severityLabels[r.min_severity]} and above`];
  const scope = [
    ...r.host_group_ids.map((id) => `group ${names.groups.get(id) ?? 'deleted group'}`),
    ...r.host_ids.map((id) => names.hosts.get(id) ?? 'deleted host'),
  ];
  parts.push(scope.length ? `only ${scope.join(', ')}` : 'every host');
  return parts.join(' · ');
}

export function toggle<T>(list: T[], item: T, on: boolean): T[] {
  const without = list.filter((x) => x !== item);
  return on ? [...without, item] : without;
}
