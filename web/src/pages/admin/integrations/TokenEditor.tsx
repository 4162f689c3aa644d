import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, ApiError, unwrap } from '../../../api/client';
import { Dialog } from '../../../components/Dialog';
import { Button, Checkbox, FormError, SelectField, TextField } from '../../../components/forms';
import {
  isoToLocal,
  localToIso,
  parseIpList,
  toggleScope,
  tokenType,
  typeHints,
  typeLabels,
  type CreatedToken,
  type IntegrationType,
  type ScopeResource,
  type Scopes,
  type Token,
} from './model';

const isEnrollment = (t: IntegrationType) => t === 'proxmox-lxc' || t === 'direct-host';

/** Creates a credential of one of types, or edits token. */
export function TokenEditor({
  types,
  token,
  onClose,
  onCreated,
  onSaved,
}: {
  types: IntegrationType[];
  token?: Token;
  onClose: () => void;
  onCreated: (created: CreatedToken) => void;
  onSaved: (saved: Token) => void;
}) {
  const editing = Boolean(token);
  const [type, setType] = useState<IntegrationType>(token ? tokenType(token) : (types[0] ?? 'api'));
  const [name, setName] = useState(token?.token_name ?? '');
  const [ips, setIps] = useState((token?.allowed_ip_ranges ?? []).join(', '));
  const [expires, setExpires] = useState(isoToLocal(token?.expires_at));
  const [maxHosts, setMaxHosts] = useState(String(token?.max_hosts_per_day ?? 100));
  const [group, setGroup] = useState(token?.default_host_group_id ?? '');
  const [scopes, setScopes] = useState<Scopes>((token?.scopes as Scopes | null) ?? {});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState('');

  const catalogue = useQuery({
    queryKey: ['integrations', 'scopes'],
    queryFn: async ({ signal }) => unwrap(await api.GET('/integrations/scopes', { signal })),
    enabled: type === 'api',
    staleTime: Infinity,
  });
  const groups = useQuery({
    queryKey: ['integrations', 'host-groups'],
    queryFn: async ({ signal }) => unwrap(await api.GET('/integrations/host-groups', { signal })),
    enabled: type !== 'gethomepage',
  });

  const fail = (err: Error) => {
    if (err instanceof ApiError && err.field) {
      setErrors({ [err.field]: err.message });
      setFormError('');
    } else {
      setErrors({});
      setFormError(err.message);
    }
  };

  const body = () => {
    const common = {
      token_name: name.trim(),
      allowed_ip_ranges: parseIpList(ips),
      ...(type === 'api' ? { scopes } : {}),
      ...(isEnrollment(type) ? { max_hosts_per_day: Number(maxHosts) } : {}),
    };
    return common;
  };

  const create = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST('/auto-enrollment/tokens', {
          body: {
            ...body(),
            expires_at: localToIso(expires),
            default_host_group_id: type !== 'gethomepage' && group ? group : null,
            metadata: { integration_type: type },
          },
        }),
      ),
    onSuccess: onCreated,
    onError: fail,
  });
  const update = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.PATCH('/auto-enrollment/tokens/{tokenId}', {
          params: { path: { tokenId: token!.id } },
          // An empty string clears the expiry and the group.
          body: {
            ...body(),
            expires_at: localToIso(expires) ?? '',
            ...(type !== 'gethomepage' ? { default_host_group_id: group || '' } : {}),
          },
        }),
      ),
    onSuccess: (res) => onSaved(res.token),
    onError: fail,
  });

  const submit = () => {
    const local: Record<string, string> = {};
    if (!name.trim()) local.token_name = 'Give the credential a name.';
    if (type === 'api' && Object.keys(scopes).length === 0) local.scopes = 'Grant at least one scope.';
    if (isEnrollment(type)) {
      const n = Number(maxHosts);
      if (!Number.isInteger(n) || n < 1 || n > 1000) local.max_hosts_per_day = 'Between 1 and 1000 hosts per day.';
    }
    if (expires && !localToIso(expires)) local.expires_at = 'Enter a valid date and time.';
    setErrors(local);
    setFormError('');
    if (Object.keys(local).length > 0) return;
    if (editing) update.mutate();
    else create.mutate();
  };
  const busy = create.isPending || update.isPending;

  return (
    <Dialog
      wide
      title={editing ? `Edit “${token!.token_name}”` : types.includes('gethomepage') ? 'New API Key' : 'New Token'}
      description={typeHints[type]}
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={busy}>
            {editing ? 'Save changes' : 'Create Token'}
          </Button>
        </>
      }
    >
      {formError && <FormError>{formError}</FormError>}
      {!editing && types.length > 1 && (
        <fieldset>
          <legend className="text-sm font-medium">Usage type</legend>
          <div className="mt-2 grid gap-2 sm:grid-cols-3">
            {types.map((t) => (
              <label
                key={t}
                className={`flex cursor-pointer items-center gap-2 rounded-md border px-3 py-2 text-sm ${
                  t === type ? 'border-blue-600 bg-blue-50 dark:bg-blue-950' : 'border-slate-300 dark:border-slate-700'
                }`}
              >
                <input type="radio" name="integration_type" value={t} checked={t === type} onChange={() => setType(t)} />
                {typeLabels[t]}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      <TextField
        label="Token name"
        required
        maxLength={255}
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={errors.token_name}
        hint={type === 'api' ? 'For example “Ansible Inventory” or “Monitoring Dashboard”.' : type === 'gethomepage' ? 'For example “GetHomepage Widget”.' : 'For example “Proxmox cluster A”.'}
      />
      {type === 'api' && (
        <ScopePicker
          catalogue={catalogue.data ?? []}
          loading={catalogue.isPending}
          scopes={scopes}
          onChange={setScopes}
          error={errors.scopes}
        />
      )}
      <TextField
        label="Allowed IP addresses"
        value={ips}
        onChange={(e) => setIps(e.target.value)}
        placeholder="192.168.1.100, 10.0.0.0/24"
        error={errors.allowed_ip_ranges}
        hint="Comma-separated IPs or CIDR ranges, IPv4 or IPv6. Leave empty for unrestricted access."
      />
      <TextField
        label="Expiration date"
        type="datetime-local"
        value={expires}
        onChange={(e) => setExpires(e.target.value)}
        error={errors.expires_at}
        hint="Leave empty for no expiration. Your browser's time zone."
      />
      {isEnrollment(type) && (
        <TextField
          label="Max hosts per day"
          type="number"
          min={1}
          max={1000}
          value={maxHosts}
          onChange={(e) => setMaxHosts(e.target.value)}
          error={errors.max_hosts_per_day}
          hint="Enrollments beyond this in one day (UTC) are refused."
        />
      )}
      {type !== 'gethomepage' && (
        <SelectField
          label="Default host group"
          value={group}
          onChange={(e) => setGroup(e.target.value)}
          error={errors.default_host_group_id}
          hint={groups.isError ? `Host groups could not be loaded: ${groups.error.message}` : 'Hosts enrolled with this token join this group.'}
        >
          <option value="">No group</option>
          {groups.data?.host_groups.map((g) => (
            <option key={g.id} value={g.id}>
              {g.name}
            </option>
          ))}
        </SelectField>
      )}
    </Dialog>
  );
}

/** One checkbox per resource and action: scopes are explicit, so nothing is implied. */
export function ScopePicker({
  catalogue,
  loading,
  scopes,
  onChange,
  error,
}: {
  catalogue: ScopeResource[];
  loading?: boolean;
  scopes: Scopes;
  onChange: (s: Scopes) => void;
  error?: string;
}): ReactNode {
  return (
    <fieldset aria-describedby="scope-help">
      <legend className="text-sm font-medium">
        Scopes <span className="text-rose-600 dark:text-rose-400" aria-hidden="true">*</span>
      </legend>
      <p id="scope-help" className="text-xs text-slate-500 dark:text-slate-400">
        Each action must be granted explicitly: get does not include delete or any other action.
      </p>
      {loading && (
        <p role="status" className="mt-2 text-sm text-slate-500">
          Loading scopes…
        </p>
      )}
      <div className="mt-2 grid gap-3 sm:grid-cols-2">
        {catalogue.map((r) => (
          <div key={r.name} className="rounded-md border border-slate-200 p-3 dark:border-slate-800">
            <p className="text-sm font-semibold">
              <code>{r.name}</code>
            </p>
            <p className="mb-2 text-xs text-slate-500 dark:text-slate-400">{r.description}</p>
            <div className="space-y-1">
              {r.actions.map((a) => (
                <Checkbox
                  key={a.name}
                  label={`${r.name}:${a.name}`}
                  hint={a.description}
                  checked={(scopes[r.name] ?? []).includes(a.name)}
                  onChange={(e) => onChange(toggleScope(scopes, r.name, a.name, e.target.checked, catalogue))}
                />
              ))}
            </div>
          </div>
        ))}
      </div>
      {error && (
        <p role="alert" className="mt-1 text-sm text-rose-700 dark:text-rose-300">
          {error}
        </p>
      )}
    </fieldset>
  );
}
