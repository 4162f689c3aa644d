import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { splitErrors } from '../../components/formErrors';
import { Button, FormError, TextField } from '../../components/forms';
import { GroupsIcon, PlusIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { usePageTitle } from '../../usePageTitle';
import { DataTable, HostLink, Loading } from './table';

type HostGroup = Schemas['HostGroup'];

export const hostGroupsQueryKey = ['host-groups'] as const;

/** Whether a colour is the #rrggbb form the server accepts. */
export function isHexColor(value: string): boolean {
  return /^#[0-9a-fA-F]{6}$/.test(value.trim());
}

/** Colours offered in the editor, besides the free colour picker. */
export const PALETTE: readonly [string, ...string[]] = ['#3B82F6', '#10B981', '#F59E0B', '#EF4444', '#8B5CF6', '#EC4899', '#14B8A6', '#64748B'];

export function Swatch({ color, className = 'h-4 w-4' }: { color: string; className?: string }) {
  return <span aria-hidden="true" className={`inline-block shrink-0 rounded-full border border-black/10 ${className}`} style={{ backgroundColor: color }} />;
}

export default function HostGroups() {
  usePageTitle('Host groups');
  const { can } = useAuth();
  const toast = useToast();
  const queryClient = useQueryClient();
  const manage = can('can_manage_hosts');
  const [editing, setEditing] = useState<HostGroup | 'new' | null>(null);
  const [deleting, setDeleting] = useState<HostGroup | null>(null);
  const groups = useQuery({
    queryKey: hostGroupsQueryKey,
    queryFn: async ({ signal }) => unwrap(await api.GET('/host-groups', { signal })),
  });
  const changed = (message: string) => {
    void queryClient.invalidateQueries({ queryKey: hostGroupsQueryKey });
    toast.show(message, { kind: 'success' });
  };

  return (
    <>
      <PageHeader
        title="Host groups"
        description="Groups organise hosts by environment, role or team. A host can belong to several groups."
        actions={
          manage ? (
            <Button variant="primary" onClick={() => setEditing('new')}>
              <PlusIcon className="h-4 w-4" />
              New group
            </Button>
          ) : undefined
        }
      />
      {groups.isPending && <Loading what="host groups" />}
      {groups.isError && <FormError>{groups.error.message}</FormError>}
      {groups.data && groups.data.host_groups.length === 0 && (
        <EmptyState icon={GroupsIcon} title="No host groups yet.">
          <p>
            {manage
              ? 'Create a group such as “Production” or “Web servers”, then choose it when you add a host or in a host’s settings.'
              : 'An administrator can create groups such as “Production” or “Web servers”.'}
          </p>
          {manage && (
            <div className="mt-4">
              <Button variant="primary" onClick={() => setEditing('new')}>
                Create the first group
              </Button>
            </div>
          )}
        </EmptyState>
      )}
      {groups.data && groups.data.host_groups.length > 0 && (
        <DataTable caption="Host groups" columns={[{ label: 'Group' }, { label: 'Description' }, { label: 'Hosts', className: 'text-right' }, { label: 'Actions', className: 'text-right' }]} minWidth="36rem">
          {groups.data.host_groups.map((g) => (
            <tr key={g.id}>
              <td className="px-4 py-2.5">
                <span className="inline-flex items-center gap-2 font-medium">
                  <Swatch color={g.color} />
                  {g.name}
                </span>
              </td>
              <td className="px-4 py-2.5 text-slate-600 dark:text-slate-400">{g.description || '—'}</td>
              <td className="px-4 py-2.5 text-right">
                {g.hosts_count > 0 ? (
                  <Link to={`/hosts?group=${g.id}`} className="text-blue-700 hover:underline dark:text-blue-300" aria-label={`${g.hosts_count} host${g.hosts_count === 1 ? '' : 's'} in ${g.name}`}>
                    {g.hosts_count}
                  </Link>
                ) : (
                  '0'
                )}
              </td>
              <td className="px-4 py-2.5 text-right whitespace-nowrap">
                {manage ? (
                  <span className="inline-flex gap-2">
                    <Button size="sm" onClick={() => setEditing(g)} aria-label={`Edit ${g.name}`}>
                      Edit
                    </Button>
                    <Button size="sm" variant="danger" onClick={() => setDeleting(g)} aria-label={`Delete ${g.name}`}>
                      Delete
                    </Button>
                  </span>
                ) : (
                  '—'
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {editing && (
        <GroupDialog
          group={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(g, created) => changed(created ? `${g.name} is created.` : `${g.name} is saved.`)}
        />
      )}
      {deleting && (
        <DeleteGroupDialog
          group={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={(n) => changed(`${deleting.name} is deleted${n > 0 ? `; ${n} host${n === 1 ? '' : 's'} left the group` : ''}.`)}
        />
      )}
    </>
  );
}

const FIELDS = ['name', 'description', 'color'] as const;

export function GroupDialog({ group, onClose, onSaved }: { group: HostGroup | null; onClose: () => void; onSaved: (g: HostGroup, created: boolean) => void }) {
  const [values, setValues] = useState({ name: group?.name ?? '', description: group?.description ?? '', color: group?.color ?? PALETTE[0] as string });
  const [colorError, setColorError] = useState<string>();
  const save = useMutation({
    mutationFn: async () => {
      const body = { name: values.name.trim(), description: values.description.trim(), color: values.color.trim() };
      if (group) return unwrap(await api.PUT('/host-groups/{groupId}', { params: { path: { groupId: group.id } }, body }));
      return unwrap(await api.POST('/host-groups', { body }));
    },
    onSuccess: (g) => {
      onSaved(g, !group);
      onClose();
    },
  });
  const errors = splitErrors(save.error, FIELDS);
  return (
    <Dialog
      title={group ? `Edit ${group.name}` : 'New host group'}
      onClose={onClose}
      onSubmit={() => {
        if (!isHexColor(values.color)) {
          setColorError('Use a hex colour like #3B82F6.');
          return;
        }
        setColorError(undefined);
        save.mutate();
      }}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {group ? 'Save changes' : 'Create group'}
          </Button>
        </>
      }
    >
      <FormError>{errors.form}</FormError>
      <TextField label="Name" required maxLength={100} autoComplete="off" value={values.name} error={errors.fields.name} onChange={(e) => setValues((v) => ({ ...v, name: e.target.value }))} />
      <TextField
        label="Description"
        maxLength={500}
        autoComplete="off"
        value={values.description}
        error={errors.fields.description}
        onChange={(e) => setValues((v) => ({ ...v, description: e.target.value }))}
      />
      <fieldset>
        <legend className="text-sm font-medium">Colour</legend>
        <div className="mt-2 flex flex-wrap items-center gap-2">
          {PALETTE.map((c) => (
            <button
              key={c}
              type="button"
              aria-label={`Colour ${c}`}
              aria-pressed={values.color.toLowerCase() === c.toLowerCase()}
              onClick={() => setValues((v) => ({ ...v, color: c }))}
              className="rounded-full p-0.5 focus-visible:outline-2 focus-visible:outline-blue-500 aria-pressed:ring-2 aria-pressed:ring-blue-500"
            >
              <Swatch color={c} className="h-6 w-6" />
            </button>
          ))}
          <input
            type="color"
            aria-label="Custom colour"
            value={isHexColor(values.color) ? values.color : '#000000'}
            onChange={(e) => setValues((v) => ({ ...v, color: e.target.value }))}
            className="h-8 w-10 cursor-pointer rounded border border-slate-300 dark:border-slate-700"
          />
        </div>
        <TextField
          className="mt-2 max-w-40"
          label="Hex value"
          value={values.color}
          error={colorError ?? errors.fields.color}
          onChange={(e) => setValues((v) => ({ ...v, color: e.target.value }))}
        />
      </fieldset>
    </Dialog>
  );
}

const PREVIEW = 10;

export function DeleteGroupDialog({ group, onClose, onDeleted }: { group: HostGroup; onClose: () => void; onDeleted: (hosts: number) => void }) {
  const members = useQuery({
    queryKey: [...hostGroupsQueryKey, group.id, 'hosts-preview'],
    queryFn: async ({ signal }) =>
      unwrap(await api.GET('/host-groups/{groupId}/hosts', { signal, params: { path: { groupId: group.id }, query: { limit: PREVIEW } } })),
  });
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/host-groups/{groupId}', { params: { path: { groupId: group.id } } })),
    onSuccess: (res) => {
      onDeleted(res.affected_hosts.length);
      onClose();
    },
  });
  const total = members.data?.total ?? group.hosts_count;
  return (
    <ConfirmDialog title={`Delete ${group.name}?`} confirmLabel="Delete group" busy={remove.isPending} onConfirm={() => remove.mutate()} onClose={onClose}>
      <FormError>{remove.error?.message}</FormError>
      {total === 0 ? (
        <p className="text-sm">No host is in this group.</p>
      ) : (
        <>
          <p className="text-sm">
            {total === 1 ? 'This host leaves the group' : `These ${total} hosts leave the group`}; the hosts themselves are kept:
          </p>
          {members.isPending && <Loading what="the hosts" />}
          {members.data && (
            <ul aria-label="Affected hosts" className="max-h-56 list-disc overflow-y-auto pl-5 text-sm">
              {members.data.hosts.map((h) => (
                <li key={h.id}>
                  <HostLink id={h.id} name={h.friendly_name} />
                </li>
              ))}
              {total > members.data.hosts.length && <li className="list-none text-slate-500">and {total - members.data.hosts.length} more</li>}
            </ul>
          )}
        </>
      )}
    </ConfirmDialog>
  );
}
