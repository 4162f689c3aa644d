import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useAuth } from '../../auth/AuthProvider';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { Button, FormError, Notice, SelectField, TextField } from '../../components/forms';
import { splitErrors } from '../../components/formErrors';
import { PlusIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { usePageTitle } from '../../usePageTitle';
import { changedRoles, rolesQueryKey, SUPERADMIN, togglePermission, useRoleMatrix, type Role, type RoleMatrix } from './queries';

export default function Roles() {
  usePageTitle('Roles');
  const { can, reload } = useAuth();
  const editable = can('can_manage_settings');
  const matrix = useRoleMatrix();
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<Role | null>(null);

  return (
    <>
      <PageHeader
        title="Roles"
        description={
          editable
            ? 'What each role may do. Tick a box to grant a permission, then save. The super admin role always has every permission.'
            : 'What each role may do. Changing the matrix needs the can_manage_settings permission.'
        }
        actions={
          editable && (
            <Button variant="primary" onClick={() => setAdding(true)}>
              <PlusIcon className="h-4 w-4" />
              Add role
            </Button>
          )
        }
      />
      {matrix.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading roles…
        </p>
      )}
      {matrix.isError && <FormError>{matrix.error.message}</FormError>}
      {matrix.data && (
        <MatrixEditor matrix={matrix.data} editable={editable} onDelete={setDeleting} onSaved={() => void reload()} />
      )}
      {adding && matrix.data && <AddRoleDialog matrix={matrix.data} onClose={() => setAdding(false)} />}
      {deleting && <DeleteRoleDialog role={deleting} onClose={() => setDeleting(null)} />}
    </>
  );
}

function MatrixEditor({
  matrix,
  editable,
  onDelete,
  onSaved,
}: {
  matrix: RoleMatrix;
  editable: boolean;
  onDelete: (role: Role) => void;
  onSaved: () => void;
}) {
  const toast = useToast();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Record<string, string[]>>({});
  const order = matrix.permissions.map((p) => p.name);
  const pending = changedRoles(matrix.roles, draft);
  const pendingCount = Object.keys(pending).length;

  const permissionsOf = (role: Role) => draft[role.name] ?? role.permissions;

  const save = useMutation({
    mutationFn: async () => {
      // One role at a time, so a refusal names the role it is about.
      for (const [role, permissions] of Object.entries(pending)) {
        const current = matrix.roles.find((r) => r.name === role);
        let saved: Role;
        try {
          saved = unwrap(
            await api.PUT('/permissions/roles/{role}', {
              params: { path: { role } },
              body: { permissions, description: current?.description },
            }),
          );
        } catch (err) {
          throw new Error(`Role ${role}: ${err instanceof Error ? err.message : String(err)}`);
        }
        // Cache first, then drop the draft, so the boxes never show the old state in between.
        queryClient.setQueryData<RoleMatrix>(rolesQueryKey, (m) =>
          m ? { ...m, roles: m.roles.map((r) => (r.name === role ? saved : r)) } : m,
        );
        setDraft((d) => {
          const { [role]: _saved, ...rest } = d;
          return rest;
        });
      }
    },
    onSuccess: () => toast.show('The permission matrix was saved.', { kind: 'success' }),
    onError: (err) => toast.show(err.message, { kind: 'error' }),
    onSettled: async () => {
      await queryClient.invalidateQueries({ queryKey: rolesQueryKey });
      onSaved();
    },
  });

  return (
    <div className="space-y-4">
      {editable && pendingCount > 0 && (
        <div className="sticky top-16 z-10 flex flex-wrap items-center justify-between gap-3 rounded-lg border border-blue-300 bg-blue-50 px-4 py-3 text-sm dark:border-blue-800 dark:bg-blue-950">
          <p role="status">
            Unsaved changes to {pendingCount} {pendingCount === 1 ? 'role' : 'roles'}: {Object.keys(pending).join(', ')}.
          </p>
          <div className="flex gap-2">
            <Button size="sm" onClick={() => setDraft({})} disabled={save.isPending}>
              Discard
            </Button>
            <Button size="sm" variant="primary" busy={save.isPending} onClick={() => save.mutate()}>
              Save changes
            </Button>
          </div>
        </div>
      )}
      <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <table className="w-full text-sm">
          <caption className="sr-only">Permission matrix: permissions in rows, roles in columns</caption>
          <thead className="border-b border-slate-200 bg-slate-50 dark:border-slate-800 dark:bg-slate-950">
            <tr>
              <th
                scope="col"
                className="sticky left-0 z-[1] min-w-56 bg-slate-50 px-4 py-3 text-left text-xs font-semibold text-slate-500 uppercase dark:bg-slate-950 dark:text-slate-400"
              >
                Permission
              </th>
              {matrix.roles.map((role) => (
                <th key={role.name} scope="col" className="min-w-28 px-3 py-3 text-center align-top font-semibold">
                  <span className="block">{role.name}</span>
                  <span className="block text-xs font-normal text-slate-500 dark:text-slate-400">
                    {role.userCount} {role.userCount === 1 ? 'user' : 'users'}
                    {role.builtin ? ' · built-in' : ''}
                  </span>
                  {editable && !role.builtin && (
                    <button
                      type="button"
                      onClick={() => onDelete(role)}
                      className="mt-1 text-xs font-medium text-rose-700 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-blue-500 dark:text-rose-300"
                      aria-label={`Delete role ${role.name}`}
                    >
                      Delete
                    </button>
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
            {matrix.permissions.map((perm) => (
              <tr key={perm.name}>
                <th scope="row" className="sticky left-0 z-[1] bg-white px-4 py-2.5 text-left font-normal dark:bg-slate-900">
                  <span className="block font-mono text-xs font-medium">{perm.name}</span>
                  <span className="block text-xs text-slate-500 dark:text-slate-400">{perm.description}</span>
                </th>
                {matrix.roles.map((role) => {
                  const superadmin = role.name === SUPERADMIN;
                  const checked = superadmin || permissionsOf(role).includes(perm.name);
                  const dirty = pending[role.name] !== undefined && role.permissions.includes(perm.name) !== checked;
                  return (
                    <td key={role.name} className={`px-3 py-2.5 text-center ${dirty ? 'bg-blue-50 dark:bg-blue-950' : ''}`}>
                      <input
                        type="checkbox"
                        className="h-4 w-4 accent-blue-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-500 disabled:opacity-60"
                        aria-label={`${role.name}: ${perm.name}`}
                        checked={checked}
                        disabled={!editable || superadmin || save.isPending}
                        onChange={(e) =>
                          setDraft((d) => ({
                            ...d,
                            [role.name]: togglePermission(d[role.name] ?? role.permissions, perm.name, e.target.checked, order),
                          }))
                        }
                      />
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function AddRoleDialog({ matrix, onClose }: { matrix: RoleMatrix; onClose: () => void }) {
  const toast = useToast();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [copyFrom, setCopyFrom] = useState('');
  const create = useMutation({
    mutationFn: async () => {
      const source = matrix.roles.find((r) => r.name === copyFrom);
      return unwrap(
        await api.POST('/permissions/roles', {
          body: { name: name.trim(), description: description.trim(), permissions: source?.permissions ?? [] },
        }),
      );
    },
    onSuccess: (role) => {
      toast.show(`Role ${role.name} was added. Tick its permissions in the matrix.`, { kind: 'success' });
      void queryClient.invalidateQueries({ queryKey: rolesQueryKey });
      onClose();
    },
  });
  const errors = splitErrors(create.error, ['name', 'description'] as const);
  return (
    <Dialog
      title="Add a role"
      onClose={onClose}
      onSubmit={() => create.mutate()}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={create.isPending}>
            Add role
          </Button>
        </>
      }
    >
      <FormError>{errors.form}</FormError>
      <TextField
        label="Name"
        required
        autoFocus
        pattern="[a-z][a-z0-9_]{1,49}"
        maxLength={50}
        hint="Lower-case letters, digits and underscores, starting with a letter, e.g. auditor."
        value={name}
        onChange={(e) => setName(e.target.value)}
        error={errors.fields.name}
      />
      <TextField
        label="Description"
        maxLength={200}
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        error={errors.fields.description}
      />
      <SelectField label="Start with the permissions of" value={copyFrom} onChange={(e) => setCopyFrom(e.target.value)}>
        <option value="">No role (no permissions)</option>
        {matrix.roles.map((r) => (
          <option key={r.name} value={r.name}>
            {r.name}
          </option>
        ))}
      </SelectField>
    </Dialog>
  );
}

function DeleteRoleDialog({ role, onClose }: { role: Role; onClose: () => void }) {
  const toast = useToast();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/permissions/roles/{role}', { params: { path: { role: role.name } } })),
    onSuccess: () => {
      toast.show(`Role ${role.name} was deleted.`, { kind: 'success' });
      void queryClient.invalidateQueries({ queryKey: rolesQueryKey });
      onClose();
    },
  });
  return (
    <ConfirmDialog title={`Delete role ${role.name}?`} confirmLabel="Delete role" busy={remove.isPending} onClose={onClose} onConfirm={() => remove.mutate()}>
      {role.userCount > 0 ? (
        <Notice tone="warning">
          {role.userCount} {role.userCount === 1 ? 'user has' : 'users have'} this role. Give them another role first.
        </Notice>
      ) : (
        <p className="text-sm">No user has this role. Deleting it cannot be undone.</p>
      )}
      <FormError>{remove.error?.message}</FormError>
    </ConfirmDialog>
  );
}
