import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap, type Schemas } from '../../api/client';
import { displayName, useAuth, type User } from '../../auth/AuthProvider';
import { ConfirmDialog, Dialog } from '../../components/Dialog';
import { EmptyState } from '../../components/EmptyState';
import { Button, Checkbox, FormError, SelectField, TextField } from '../../components/forms';
import { splitErrors } from '../../components/formErrors';
import { ActionMenu } from '../../components/ActionMenu';
import { PlusIcon, UsersIcon } from '../../components/icons';
import { PageHeader } from '../../components/PageHeader';
import { useToast } from '../../components/Toasts';
import { formatDateTime } from '../../format';
import { usePageTitle } from '../../usePageTitle';
import { rolesQueryKey, useRoleMatrix, usersQueryKey } from './queries';

type Filters = { search: string; role: string; active: string };

function useUsers(filters: Filters) {
  return useQuery({
    queryKey: [...usersQueryKey, filters],
    queryFn: async ({ signal }) =>
      unwrap(
        await api.GET('/auth/admin/users', {
          signal,
          params: {
            query: {
              search: filters.search || undefined,
              role: filters.role || undefined,
              active: filters.active === '' ? undefined : filters.active === 'true',
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
}

type Action =
  | { kind: 'create' }
  | { kind: 'edit'; user: User }
  | { kind: 'password'; user: User }
  | { kind: 'delete'; user: User }
  | { kind: 'sessions'; user: User }
  | { kind: 'tfa'; user: User };

export default function Users() {
  usePageTitle('Users');
  const { can, user: me } = useAuth();
  const manage = can('can_manage_users');
  const [params, setParams] = useSearchParams();
  const filters: Filters = {
    search: params.get('search') ?? '',
    role: params.get('role') ?? '',
    active: params.get('active') ?? '',
  };
  const users = useUsers(filters);
  const roles = useRoleMatrix();
  const [action, setAction] = useState<Action | null>(null);
  const toast = useToast();
  const queryClient = useQueryClient();

  const setFilter = (key: keyof Filters, value: string) => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  };

  // Typing updates the field at once and the query (and URL) after a pause.
  const [searchText, setSearchText] = useState(filters.search);
  const wanted = searchText.trim();
  useEffect(() => {
    if (wanted === filters.search) return;
    const timer = window.setTimeout(() => setFilter('search', wanted), 250);
    return () => window.clearTimeout(timer);
    // setFilter only wraps setParams, which is stable, so it is left out of the dependencies.
  }, [wanted, filters.search]);

  const changed = (message: string) => {
    toast.show(message, { kind: 'success' });
    void queryClient.invalidateQueries({ queryKey: usersQueryKey });
    void queryClient.invalidateQueries({ queryKey: rolesQueryKey });
  };

  const unlock = useMutation({
    mutationFn: async (user: User) =>
      unwrap(await api.POST('/auth/admin/users/{userId}/unlock', { params: { path: { userId: user.id } } })),
    onSuccess: (user) => changed(`${user.username} is unlocked.`),
    onError: (err) => toast.show(err.message, { kind: 'error' }),
  });

  const roleNames = roles.data?.roles.map((r) => r.name) ?? [];
  const filtering = Boolean(filters.search || filters.role || filters.active);

  return (
    <>
      <PageHeader
        title="Users"
        description="Dashboard accounts and their roles."
        actions={
          manage && (
            <Button variant="primary" onClick={() => setAction({ kind: 'create' })}>
              <PlusIcon className="h-4 w-4" />
              Add user
            </Button>
          )
        }
      />

      <div className="mb-4 grid gap-3 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)_minmax(0,1fr)]">
        <TextField
          label="Search"
          type="search"
          placeholder="Username, name or email"
          value={searchText}
          onChange={(e) => setSearchText(e.target.value)}
        />
        <SelectField label="Role" value={filters.role} onChange={(e) => setFilter('role', e.target.value)}>
          <option value="">All roles</option>
          {roleNames.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </SelectField>
        <SelectField label="Status" value={filters.active} onChange={(e) => setFilter('active', e.target.value)}>
          <option value="">Active and inactive</option>
          <option value="true">Active</option>
          <option value="false">Inactive</option>
        </SelectField>
      </div>

      {users.isPending && (
        <p role="status" className="text-sm text-slate-500">
          Loading users…
        </p>
      )}
      {users.isError && <FormError>{users.error.message}</FormError>}
      {users.data && users.data.users.length === 0 && (
        <EmptyState icon={UsersIcon} title={filtering ? 'No user matches these filters.' : 'No users yet.'}>
          {filtering ? <p>Clear the search or pick another role or status.</p> : manage && <p>Add a user to give someone access.</p>}
        </EmptyState>
      )}
      {users.data && users.data.users.length > 0 && (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
          <table className="w-full min-w-[44rem] text-left text-sm">
            <caption className="sr-only">
              {users.data.total} {users.data.total === 1 ? 'user' : 'users'}
            </caption>
            <thead className="border-b border-slate-200 bg-slate-50 text-xs text-slate-500 uppercase dark:border-slate-800 dark:bg-slate-950 dark:text-slate-400">
              <tr>
                <th scope="col" className="px-4 py-3 font-semibold">
                  User
                </th>
                <th scope="col" className="px-4 py-3 font-semibold">
                  Role
                </th>
                <th scope="col" className="px-4 py-3 font-semibold">
                  Status
                </th>
                <th scope="col" className="px-4 py-3 font-semibold">
                  2FA
                </th>
                <th scope="col" className="px-4 py-3 font-semibold">
                  Last sign-in
                </th>
                {manage && (
                  <th scope="col" className="px-4 py-3 text-right font-semibold">
                    Actions
                  </th>
                )}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
              {users.data.users.map((u) => (
                <tr key={u.id}>
                  <td className="px-4 py-3">
                    <p className="font-medium">
                      {displayName(u)}
                      {u.id === me?.id && <span className="ml-2 text-xs text-slate-500">(you)</span>}
                    </p>
                    <p className="text-xs text-slate-500 dark:text-slate-400">
                      {u.username} · {u.email}
                    </p>
                  </td>
                  <td className="px-4 py-3">{u.role}</td>
                  <td className="px-4 py-3">
                    <UserStatus user={u} />
                  </td>
                  <td className="px-4 py-3">{u.tfaEnabled ? 'On' : 'Off'}</td>
                  <td className="px-4 py-3 whitespace-nowrap">{u.lastLoginAt ? formatDateTime(u.lastLoginAt) : 'Never'}</td>
                  {manage && (
                    <td className="px-4 py-3">
                      <div className="flex justify-end gap-1.5">
                        <Button size="sm" onClick={() => setAction({ kind: 'edit', user: u })} aria-label={`Edit ${u.username}`}>
                          Edit
                        </Button>
                        <ActionMenu
                          label={`More actions for ${u.username}`}
                          actions={[
                            ...(u.hasPassword ? [{ label: 'Reset password', onSelect: () => setAction({ kind: 'password', user: u }) }] : []),
                            ...(u.locked ? [{ label: 'Unlock', onSelect: () => unlock.mutate(u) }] : []),
                            ...(u.tfaEnabled && u.id !== me?.id
                              ? [{ label: 'Turn off 2FA', onSelect: () => setAction({ kind: 'tfa', user: u }) }]
                              : []),
                            ...(u.id !== me?.id
                              ? [
                                  { label: 'Sign out everywhere', onSelect: () => setAction({ kind: 'sessions', user: u }) },
                                  { label: 'Delete', danger: true, onSelect: () => setAction({ kind: 'delete', user: u }) },
                                ]
                              : []),
                          ]}
                        />
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {action?.kind === 'create' && (
        <UserFormDialog roles={roleNames} onClose={() => setAction(null)} onSaved={(u) => changed(`${u.username} was added.`)} />
      )}
      {action?.kind === 'edit' && (
        <UserFormDialog
          user={action.user}
          isSelf={action.user.id === me?.id}
          roles={roleNames}
          onClose={() => setAction(null)}
          onSaved={(u) => changed(`${u.username} was saved.`)}
        />
      )}
      {action?.kind === 'password' && (
        <ResetPasswordDialog
          user={action.user}
          onClose={() => setAction(null)}
          onSaved={() => changed(`The password of ${action.user.username} was set; they were signed out everywhere.`)}
        />
      )}
      {action?.kind === 'delete' && (
        <DeleteUserDialog user={action.user} onClose={() => setAction(null)} onDeleted={() => changed(`${action.user.username} was deleted.`)} />
      )}
      {action?.kind === 'tfa' && (
        <ResetTfaDialog
          user={action.user}
          onClose={() => setAction(null)}
          onDone={() => changed(`Two-factor authentication is off for ${action.user.username}.`)}
        />
      )}
      {action?.kind === 'sessions' && (
        <RevokeSessionsDialog
          user={action.user}
          onClose={() => setAction(null)}
          onDone={() => changed(`${action.user.username} was signed out everywhere.`)}
        />
      )}
    </>
  );
}

function UserStatus({ user }: { user: User }) {
  const [label, style] = user.locked
    ? ['Locked', 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100']
    : user.isActive
      ? ['Active', 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100']
      : ['Inactive', 'bg-slate-200 text-slate-700 dark:bg-slate-700 dark:text-slate-200'];
  return (
    <span
      className={`rounded-full px-2 py-0.5 text-xs font-semibold ${style}`}
      title={user.locked && user.lockedUntil ? `Locked until ${formatDateTime(user.lockedUntil)}` : undefined}
    >
      {label}
    </span>
  );
}

const USER_FIELDS = ['username', 'email', 'firstName', 'lastName', 'password', 'role', 'isActive'] as const;
type UserField = (typeof USER_FIELDS)[number];

function UserFormDialog({
  user,
  isSelf,
  roles,
  onClose,
  onSaved,
}: {
  user?: User;
  isSelf?: boolean;
  roles: string[];
  onClose: () => void;
  onSaved: (user: User) => void;
}) {
  const [values, setValues] = useState({
    username: user?.username ?? '',
    email: user?.email ?? '',
    firstName: user?.firstName ?? '',
    lastName: user?.lastName ?? '',
    password: '',
    role: user?.role ?? '',
    isActive: user?.isActive ?? true,
  });
  const save = useMutation({
    mutationFn: async (): Promise<User> => {
      const common = {
        username: values.username.trim(),
        email: values.email.trim(),
        firstName: values.firstName.trim(),
        lastName: values.lastName.trim(),
        role: values.role || undefined,
        isActive: values.isActive,
      };
      if (user) {
        const body: Schemas['UserUpdateRequest'] = common;
        return unwrap(await api.PUT('/auth/admin/users/{userId}', { params: { path: { userId: user.id } }, body }));
      }
      const body: Schemas['UserCreateRequest'] = { ...common, password: values.password };
      return unwrap(await api.POST('/auth/admin/users', { body }));
    },
    onSuccess: (saved) => {
      onSaved(saved);
      onClose();
    },
  });
  const errors = splitErrors<UserField>(save.error, USER_FIELDS, { newPassword: 'password' });
  const text = (field: 'username' | 'email' | 'firstName' | 'lastName' | 'password') => ({
    value: values[field],
    onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [field]: e.target.value })),
    error: errors.fields[field],
  });

  return (
    <Dialog
      wide
      title={user ? `Edit ${user.username}` : 'Add a user'}
      description={user ? undefined : 'They sign in with this username or email and the password you set.'}
      onClose={onClose}
      onSubmit={(_e: FormEvent) => save.mutate()}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {user ? 'Save changes' : 'Add user'}
          </Button>
        </>
      }
    >
      <FormError>{errors.form}</FormError>
      <div className="grid gap-4 sm:grid-cols-2">
        <TextField label="First name" maxLength={100} autoComplete="off" {...text('firstName')} />
        <TextField label="Last name" maxLength={100} autoComplete="off" {...text('lastName')} />
        <TextField label="Username" required minLength={3} maxLength={64} autoComplete="off" {...text('username')} />
        <TextField label="Email" type="email" required maxLength={254} autoComplete="off" {...text('email')} />
        {!user && <TextField label="Password" type="password" required autoComplete="new-password" maxLength={256} {...text('password')} />}
        <SelectField
          label="Role"
          value={values.role}
          onChange={(e) => setValues((v) => ({ ...v, role: e.target.value }))}
          error={errors.fields.role}
          hint={user ? undefined : 'Leave on the default to use the server’s default role.'}
        >
          {!user && <option value="">Server default</option>}
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
          {user && !roles.includes(user.role) && <option value={user.role}>{user.role}</option>}
        </SelectField>
      </div>
      <Checkbox
        label="Active"
        hint={isSelf ? 'You cannot deactivate your own account.' : 'Inactive users cannot sign in.'}
        checked={values.isActive}
        disabled={isSelf}
        onChange={(e) => setValues((v) => ({ ...v, isActive: e.target.checked }))}
      />
      {errors.fields.isActive && <p className="text-sm text-rose-700 dark:text-rose-300">{errors.fields.isActive}</p>}
    </Dialog>
  );
}

function ResetPasswordDialog({ user, onClose, onSaved }: { user: User; onClose: () => void; onSaved: () => void }) {
  const [password, setPassword] = useState('');
  const reset = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST('/auth/admin/users/{userId}/reset-password', {
          params: { path: { userId: user.id } },
          body: { newPassword: password },
        }),
      ),
    onSuccess: () => {
      onSaved();
      onClose();
    },
  });
  const errors = splitErrors(reset.error, ['newPassword'] as const, { password: 'newPassword' });
  return (
    <Dialog
      title={`Reset the password of ${user.username}`}
      description="They are signed out everywhere and sign in with the new password. Tell them through a safe channel."
      onClose={onClose}
      onSubmit={() => reset.mutate()}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={reset.isPending}>
            Set password
          </Button>
        </>
      }
    >
      <FormError>{errors.form}</FormError>
      <TextField
        label="New password"
        type="password"
        required
        autoComplete="new-password"
        maxLength={256}
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={errors.fields.newPassword}
      />
    </Dialog>
  );
}

function DeleteUserDialog({ user, onClose, onDeleted }: { user: User; onClose: () => void; onDeleted: () => void }) {
  const remove = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/auth/admin/users/{userId}', { params: { path: { userId: user.id } } })),
    onSuccess: () => {
      onDeleted();
      onClose();
    },
  });
  return (
    <ConfirmDialog title={`Delete ${user.username}?`} confirmLabel="Delete user" busy={remove.isPending} onClose={onClose} onConfirm={() => remove.mutate()}>
      <p className="text-sm">
        {displayName(user)} ({user.email}) loses access at once. This cannot be undone; to keep their history, make the account
        inactive instead.
      </p>
      <FormError>{remove.error?.message}</FormError>
    </ConfirmDialog>
  );
}

function RevokeSessionsDialog({ user, onClose, onDone }: { user: User; onClose: () => void; onDone: () => void }) {
  const revoke = useMutation({
    mutationFn: async () =>
      unwrap(await api.DELETE('/auth/admin/users/{userId}/sessions', { params: { path: { userId: user.id } } })),
    onSuccess: () => {
      onDone();
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Sign ${user.username} out everywhere?`}
      confirmLabel="Sign out everywhere"
      busy={revoke.isPending}
      onClose={onClose}
      onConfirm={() => revoke.mutate()}
    >
      <p className="text-sm">Every session ends and their trusted devices are forgotten; they can sign in again.</p>
      <FormError>{revoke.error?.message}</FormError>
    </ConfirmDialog>
  );
}

function ResetTfaDialog({ user, onClose, onDone }: { user: User; onClose: () => void; onDone: () => void }) {
  const reset = useMutation({
    mutationFn: async () => unwrap(await api.DELETE('/auth/admin/users/{userId}/tfa', { params: { path: { userId: user.id } } })),
    onSuccess: () => {
      onDone();
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Turn off two-factor authentication for ${user.username}?`}
      confirmLabel="Turn off 2FA"
      busy={reset.isPending}
      onClose={onClose}
      onConfirm={() => reset.mutate()}
    >
      <p className="text-sm">
        For someone who lost their authenticator and backup codes. They sign in with their password alone until they set
        two-factor authentication up again; their backup codes and trusted devices are removed.
      </p>
      <FormError>{reset.error?.message}</FormError>
    </ConfirmDialog>
  );
}
