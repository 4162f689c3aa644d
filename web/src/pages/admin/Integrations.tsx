import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ActionMenu } from '../../components/ActionMenu';
import { ConfirmDialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { Button, FormError } from '../../components/forms';
import { KeyIcon, PlusIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { formatDateTime } from '../../format';
import { usePageTitle } from '../../usePageTitle';
import { SettingsTabs } from './SettingsTabs';
import {
  scopeSummary,
  tabTypes,
  tokensQueryKey,
  tokenState,
  tokenType,
  typeLabels,
  type CreatedToken,
  type Token,
  type TokenState,
} from './integrations/model';
import { SecretDialog } from './integrations/SecretDialog';
import { TokenEditor } from './integrations/TokenEditor';

type Tab = keyof typeof tabTypes;

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit'; token: Token }
  | { kind: 'delete'; token: Token }
  | { kind: 'created'; created: CreatedToken };

const tabLabels: Record<Tab, string> = { enrollment: 'Auto-Enrollment & API', gethomepage: 'GetHomepage' };

/** Settings → Integrations: enrollment tokens, API credentials and GetHomepage keys. */
export default function Integrations() {
  usePageTitle('Integrations');
  const [params, setParams] = useSearchParams();
  const tab: Tab = params.get('tab') === 'gethomepage' ? 'gethomepage' : 'enrollment';
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const toast = useToast();
  const queryClient = useQueryClient();

  const tokens = useQuery({
    queryKey: tokensQueryKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/auto-enrollment/tokens', { signal })),
  });
  const shown = (tokens.data ?? []).filter((t) => tabTypes[tab].includes(tokenType(t)));

  const refresh = () => void queryClient.invalidateQueries({ queryKey: tokensQueryKey });
  const toggle = useMutation({
    mutationFn: async (t: Token) =>
      unwrap(
        await api.PATCH('/auto-enrollment/tokens/{tokenId}', {
          params: { path: { tokenId: t.id } },
          body: { is_active: !t.is_active },
        }),
      ),
    onSuccess: (res) => {
      toast.show(`“${res.token.token_name}” is ${res.token.is_active ? 'enabled' : 'disabled'}.`, { kind: 'success' });
      refresh();
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });
  const remove = useMutation({
    mutationFn: async (t: Token) =>
      unwrap(await api.DELETE('/auto-enrollment/tokens/{tokenId}', { params: { path: { tokenId: t.id } } })),
    onSuccess: (res) => {
      toast.show(`“${res.deleted_token.token_name}” is deleted. It stopped working at once.`, { kind: 'success' });
      setDialog(null);
      refresh();
    },
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });

  const selectTab = (t: Tab) => setParams(t === 'enrollment' ? {} : { tab: t }, { replace: true });
  const newLabel = tab === 'gethomepage' ? 'New API Key' : 'New Token';

  return (
    <>
      <PageHeader
        title="Settings"
        description="Credentials for automatic enrollment, the scoped Integration API and GetHomepage widgets."
        actions={
          <Button variant="primary" onClick={() => setDialog({ kind: 'create' })}>
            <PlusIcon className="h-4 w-4" />
            {newLabel}
          </Button>
        }
      />
      <SettingsTabs />
      <div role="tablist" aria-label="Integration types" className="mb-4 inline-flex rounded-lg bg-slate-100 p-1 dark:bg-slate-800">
        {(Object.keys(tabLabels) as Tab[]).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            aria-selected={tab === t}
            onClick={() => selectTab(t)}
            className={`rounded-md px-3 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-blue-500 ${
              tab === t ? 'bg-white shadow-sm dark:bg-slate-950' : 'text-slate-600 dark:text-slate-300'
            }`}
          >
            {tabLabels[t]}
          </button>
        ))}
      </div>

      <div role="tabpanel" aria-label={tabLabels[tab]}>
        {tokens.isPending && (
          <p role="status" className="text-sm text-slate-500">
            Loading credentials…
          </p>
        )}
        {tokens.isError && <FormError>{tokens.error.message}</FormError>}
        {tokens.data && shown.length === 0 && (
          <EmptyState icon={KeyIcon} title={tab === 'gethomepage' ? 'No GetHomepage keys yet.' : 'No tokens yet.'}>
            <p>
              {tab === 'gethomepage'
                ? 'Click “New API Key” to get credentials and a ready-made services.yml entry for a GetHomepage widget.'
                : 'Click “New Token” to enroll Proxmox containers or hosts automatically, or to give a tool such as Ansible scoped API access.'}
            </p>
          </EmptyState>
        )}
        {shown.length > 0 && (
          <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <table className="w-full min-w-[52rem] text-left text-sm">
              <caption className="sr-only">
                {shown.length} {shown.length === 1 ? 'credential' : 'credentials'}
              </caption>
              <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
                <tr>
                  <th scope="col" className="px-4 py-3 font-semibold">Name</th>
                  <th scope="col" className="px-4 py-3 font-semibold">{tab === 'gethomepage' ? 'Key' : 'Type and access'}</th>
                  <th scope="col" className="px-4 py-3 font-semibold">Status</th>
                  <th scope="col" className="px-4 py-3 font-semibold">Created</th>
                  <th scope="col" className="px-4 py-3 font-semibold">Last used</th>
                  <th scope="col" className="px-4 py-3 font-semibold">Expires</th>
                  <th scope="col" className="px-4 py-3 text-right font-semibold">Actions</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {shown.map((t) => (
                  <TokenRow
                    key={t.id}
                    token={t}
                    showType={tab !== 'gethomepage'}
                    onEdit={() => setDialog({ kind: 'edit', token: t })}
                    onToggle={() => toggle.mutate(t)}
                    onDelete={() => setDialog({ kind: 'delete', token: t })}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>

      {(dialog?.kind === 'create' || dialog?.kind === 'edit') && (
        <TokenEditor
          types={tabTypes[tab]}
          token={dialog.kind === 'edit' ? dialog.token : undefined}
          onClose={() => setDialog(null)}
          onCreated={(created) => {
            refresh();
            setDialog({ kind: 'created', created });
          }}
          onSaved={(saved) => {
            toast.show(`“${saved.token_name}” is saved.`, { kind: 'success' });
            refresh();
            setDialog(null);
          }}
        />
      )}
      {dialog?.kind === 'created' && <SecretDialog created={dialog.created} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete “${dialog.token.token_name}”?`}
          confirmLabel="Delete"
          busy={remove.isPending}
          onConfirm={() => remove.mutate(dialog.token)}
          onClose={() => setDialog(null)}
        >
          <p className="text-sm">
            Anything using this credential stops working at once. Hosts it enrolled are kept. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}

const stateStyles: Record<TokenState, string> = {
  active: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-300',
  disabled: 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300',
  expired: 'bg-amber-100 text-amber-800 dark:bg-amber-950 dark:text-amber-300',
};
const stateLabels: Record<TokenState, string> = { active: 'Active', disabled: 'Disabled', expired: 'Expired' };

function TokenRow({
  token: t,
  showType,
  onEdit,
  onToggle,
  onDelete,
}: {
  token: Token;
  showType: boolean;
  onEdit: () => void;
  onToggle: () => void;
  onDelete: () => void;
}) {
  const type = tokenType(t);
  const state = tokenState(t);
  return (
    <tr>
      <td className="px-4 py-3">
        <p className="font-medium">{t.token_name}</p>
        <p className="font-mono text-xs break-all text-slate-500 dark:text-slate-400">{t.token_key}</p>
      </td>
      <td className="px-4 py-3">
        {showType && <p>{typeLabels[type]}</p>}
        <p className="text-xs text-slate-500 dark:text-slate-400">
          {type === 'api' && <code>{scopeSummary(t.scopes as Record<string, string[]> | null)}</code>}
          {(type === 'proxmox-lxc' || type === 'direct-host') &&
            `${t.hosts_created_today} of ${t.max_hosts_per_day} hosts today${t.host_groups ? ` · into ${t.host_groups.name}` : ''}`}
          {t.allowed_ip_ranges.length > 0 && <span className="block">IPs: {t.allowed_ip_ranges.join(', ')}</span>}
        </p>
      </td>
      <td className="px-4 py-3">
        <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${stateStyles[state]}`}>{stateLabels[state]}</span>
      </td>
      <td className="px-4 py-3 whitespace-nowrap">{formatDateTime(t.created_at)}</td>
      <td className="px-4 py-3 whitespace-nowrap">{t.last_used_at ? formatDateTime(t.last_used_at) : 'Never'}</td>
      <td className="px-4 py-3 whitespace-nowrap">{t.expires_at ? formatDateTime(t.expires_at) : 'Never'}</td>
      <td className="px-4 py-3">
        <div className="flex justify-end">
          <ActionMenu
            label={`Actions for ${t.token_name}`}
            actions={[
              { label: 'Edit', onSelect: onEdit },
              { label: t.is_active ? 'Disable' : 'Enable', onSelect: onToggle },
              { label: 'Delete', onSelect: onDelete, danger: true },
            ]}
          />
        </div>
      </td>
    </tr>
  );
}
