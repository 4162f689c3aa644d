import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { makeUser, mockApi } from '../../test/api';
import { renderApp } from '../../test/render';
import type { RoleMatrix } from './queries';

const me = makeUser();
const rita = makeUser({
  id: '00000000-0000-4000-8000-000000000002',
  username: 'rita',
  email: 'rita@example.com',
  firstName: 'Rita',
  lastName: 'Reader',
  role: 'readonly',
  tfaEnabled: true,
  locked: true,
  lockedUntil: '2030-01-01T00:00:00Z',
  lastLoginAt: null,
});

const matrix: RoleMatrix = {
  permissions: [],
  roles: ['superadmin', 'admin', 'readonly'].map((name) => ({ name, description: '', builtin: true, permissions: [], userCount: 1 })),
};

function usersApi(routes = {}) {
  return mockApi({
    'GET /auth/admin/users': { body: { users: [me, rita], total: 2 } },
    'GET /permissions/roles': { body: matrix },
    ...routes,
  });
}

describe('users page', () => {
  it('lists users with their role, state and 2FA', async () => {
    usersApi();
    renderApp('/users');
    const row = (await screen.findByText('rita · rita@example.com')).closest('tr');
    if (!row) throw new Error('no row');
    expect(within(row).getByText('readonly')).toBeTruthy();
    expect(within(row).getByText('Locked')).toBeTruthy();
    expect(within(row).getByText('On')).toBeTruthy();
    expect(within(row).getByText('Never')).toBeTruthy();
    expect(screen.getByText('(you)')).toBeTruthy();
  });

  it('sends the search, role and status filters to the server', async () => {
    const api = usersApi();
    const user = userEvent.setup();
    renderApp('/users');
    await screen.findByText('rita · rita@example.com');

    await user.selectOptions(screen.getByLabelText('Role'), 'readonly');
    await user.selectOptions(screen.getByLabelText('Status'), 'false');
    await user.type(screen.getByLabelText('Search'), 'rit');

    await waitFor(() => {
      const last = api.calls('GET /auth/admin/users').at(-1);
      expect(last?.query.get('search')).toBe('rit');
      expect(last?.query.get('role')).toBe('readonly');
      expect(last?.query.get('active')).toBe('false');
    });
  });

  it('adds a user, showing a policy error under the password', async () => {
    let attempt = 0;
    const api = usersApi({
      'POST /auth/admin/users': () =>
        ++attempt === 1
          ? { status: 400, body: { error: 'Password must be at least 8 characters long', code: 'password_policy', field: 'password' } }
          : { status: 201, body: makeUser({ id: '00000000-0000-4000-8000-000000000003', username: 'bob' }) },
    });
    const user = userEvent.setup();
    renderApp('/users');
    await user.click(await screen.findByRole('button', { name: 'Add user' }));
    const dialog = screen.getByRole('dialog', { name: 'Add a user' });
    await user.type(within(dialog).getByLabelText('Username'), 'bob');
    await user.type(within(dialog).getByLabelText('Email'), 'bob@example.com');
    await user.type(within(dialog).getByLabelText('Password'), 'short');
    await user.selectOptions(within(dialog).getByLabelText('Role'), 'admin');
    await user.click(within(dialog).getByRole('button', { name: 'Add user' }));

    await within(dialog).findByText('Password must be at least 8 characters long');
    expect(within(dialog).getByLabelText('Password').getAttribute('aria-invalid')).toBe('true');

    await user.clear(within(dialog).getByLabelText('Password'));
    await user.type(within(dialog).getByLabelText('Password'), 'Long!enough1');
    await user.click(within(dialog).getByRole('button', { name: 'Add user' }));
    await screen.findByText('bob was added.');
    expect(api.calls('POST /auth/admin/users')[1]?.body).toEqual({
      username: 'bob',
      email: 'bob@example.com',
      firstName: '',
      lastName: '',
      password: 'Long!enough1',
      role: 'admin',
      isActive: true,
    });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('offers unlock, 2FA reset and delete from the row menu, deleting only after confirmation', async () => {
    const api = usersApi({
      'POST /auth/admin/users/00000000-0000-4000-8000-000000000002/unlock': { body: { ...rita, locked: false } },
      'DELETE /auth/admin/users/00000000-0000-4000-8000-000000000002': { body: { message: 'Deleted' } },
    });
    const user = userEvent.setup();
    renderApp('/users');

    // Your own row has no menu entries that would lock you out.
    const more = await screen.findByRole('button', { name: 'More actions for rita' });
    await user.click(screen.getByRole('button', { name: 'More actions for admin' }));
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
    await user.keyboard('{Escape}');

    await user.click(more);
    expect(screen.getByRole('button', { name: 'Turn off 2FA' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    await screen.findByText('rita is unlocked.');

    await user.click(more);
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete rita?' });
    expect(api.calls('DELETE /auth/admin/users/00000000-0000-4000-8000-000000000002')).toHaveLength(0);
    await user.click(within(dialog).getByRole('button', { name: 'Delete user' }));
    await screen.findByText('rita was deleted.');
    expect(api.calls('DELETE /auth/admin/users/00000000-0000-4000-8000-000000000002')).toHaveLength(1);
  });

  it('shows no management actions without can_manage_users', async () => {
    usersApi({ 'GET /auth/profile': { body: { user: me, permissions: ['can_view_users'] } } });
    renderApp('/users');
    await screen.findByText('rita · rita@example.com');
    expect(screen.queryByRole('button', { name: 'Add user' })).toBeNull();
    expect(screen.queryByRole('button', { name: /^Edit / })).toBeNull();
    expect(screen.queryByRole('button', { name: /^More actions/ })).toBeNull();
    expect(screen.queryByRole('columnheader', { name: 'Actions' })).toBeNull();
  });
});
