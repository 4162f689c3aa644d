import type { Schemas } from '../../../api/client';

export type Token = Schemas['EnrollmentToken'];
export type CreatedToken = Schemas['EnrollmentTokenCreateResponse'];
export type ScopeResource = Schemas['IntegrationScopeResource'];
export type Scopes = Record<string, string[]>;
export type IntegrationType = Schemas['EnrollmentIntegrationType'];

export const tokensQueryKey = ['integrations', 'tokens'] as const;

/** The two tabs of the page and the credential types each one manages. */
export const tabTypes: Record<'enrollment' | 'gethomepage', IntegrationType[]> = {
  enrollment: ['proxmox-lxc', 'direct-host', 'api'],
  gethomepage: ['gethomepage'],
};

export const typeLabels: Record<IntegrationType, string> = {
  'proxmox-lxc': 'Proxmox LXC',
  'direct-host': 'Direct host',
  api: 'API',
  gethomepage: 'GetHomepage',
};

export const typeHints: Record<IntegrationType, string> = {
  'proxmox-lxc': 'Enrolls every LXC container of a Proxmox VE host with one script run on the host.',
  'direct-host': 'Enrolls the machine that runs a one-liner, for Ansible, cloud-init or golden images.',
  api: 'Programmatic access to the Integration API with HTTP Basic authentication, limited to the scopes you grant.',
  gethomepage: 'Read-only statistics for a GetHomepage customapi widget.',
};

/** A token's integration type, from its metadata (proxmox-lxc when absent, as the server does). */
export function tokenType(t: Pick<Token, 'metadata'>): IntegrationType {
  const v = t.metadata?.integration_type;
  return v === 'direct-host' || v === 'api' || v === 'gethomepage' ? v : 'proxmox-lxc';
}

export type TokenState = 'active' | 'disabled' | 'expired';

export function tokenState(t: Pick<Token, 'is_active' | 'expires_at'>, now: Date = new Date()): TokenState {
  if (!t.is_active) return 'disabled';
  if (t.expires_at && new Date(t.expires_at).getTime() <= now.getTime()) return 'expired';
  return 'active';
}

/** Splits "192.168.1.100, 10.0.0.0/24" (commas, spaces or new lines) into entries. */
export function parseIpList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Grants or revokes one action, keeping the catalogue's order and dropping empty resources. */
export function toggleScope(scopes: Scopes, resource: string, action: string, on: boolean, catalogue: ScopeResource[]): Scopes {
  const order = catalogue.find((r) => r.name === resource)?.actions.map((a) => a.name) ?? [];
  const current = new Set(scopes[resource] ?? []);
  if (on) current.add(action);
  else current.delete(action);
  const next: Scopes = { ...scopes };
  if (current.size === 0) delete next[resource];
  else next[resource] = [...current].sort((a, b) => rank(order, a) - rank(order, b));
  return next;
}

function rank(order: string[], a: string): number {
  const i = order.indexOf(a);
  return i < 0 ? order.length : i;
}

/** "host:get, host:delete, package:get" */
export function scopeSummary(scopes: Scopes | null | undefined): string {
  if (!scopes) return '';
  return Object.entries(scopes)
    .flatMap(([res, acts]) => acts.map((a) => `${res}:${a}`))
    .join(', ');
}

/** A datetime-local value ("2026-12-31T23:59") as an ISO instant in the browser's zone, or null. */
export function localToIso(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** An ISO instant as a datetime-local value in the browser's zone. */
export function isoToLocal(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The curl command that tries an API credential right away. */
export function apiCurlExample(serverUrl: string, key: string, secret: string): string {
  return `curl -u "${key}:${secret}" ${serverUrl.replace(/\/$/, '')}/api/v1/api/hosts`;
}
