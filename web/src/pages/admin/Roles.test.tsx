import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { makeUser, mockApi } from '../../test/api';
import { renderApp } from '../../test/render';
import { changedRoles, sortRoles, togglePermission, type Role, type RoleMatrix } from './queries';

const role = (name: string, permissions: string[], extra: Partial<Role> = {}): Role => ({
  name,
  description: '',
  builtin: true,
  permissions,
  userCount: 0,
  ...extra,
});

const matrix: RoleMatrix = {
  permissions: [
    { name: 'can_view_dashboard', description: 'View the dashboard' },
    { name: 'can_view_users', description: 'View users' },
    { name: 'can_manage_users', description: 'Manage users' },
  ],
  // The server lists roles by name; the page orders them by privilege.
  roles: [
    role('admin', ['can_view_dashboard', 'can_view_users', 'can_manage_users'], { userCount: 2 }),
    role('auditor', ['can_view_users'], { builtin: false, description: 'Reads the audit log' }),
    role('readonly', ['can_view_dashboard']),
    role('superadmin', ['can_view_dashboard', 'can_view_users', 'can_manage_users'], { userCount: 1 }),
  ],
};

describe('role helpers', () => {
  it('orders built-in roles by privilege, then custom roles by name', () => {
    expect(sortRoles(matrix.roles).map((r) => r.name)).toEqual(['superadmin', 'admin', 'readonly', 'auditor']);
  });

  it('keeps the catalogue order when toggling', () => {
    const order = matrix.permissions.map((p) => p.name);
    expect(togglePermission(['can_manage_users'], 'can_view_dashboard', true, order)).toEqual([
      'can_view_dashboard',
      'can_manage_users',
    ]);
    expect(togglePermission(['can_view_dashboard', 'can_view_users'], 'can_view_dashboard', false, order)).toEqual([
      'can_view_users',
    ]);
  });

  it('reports only roles whose permissions really changed', () => {
    const draft = {
      readonly: ['can_view_dashboard'], // toggled twice: back where it was
      auditor: ['can_view_users', 'can_view_dashboard'],
    };
    expect(changedRoles(matrix.roles, draft)).toEqual({ auditor: ['can_view_users', 'can_view_dashboard'] });
  });
});

describe('roles page', () => {
  it('edits the matrix and saves only the changed roles', async () => {
    const api = mockApi({
      'GET /permissions/roles': { body: matrix },
      'PUT /permissions/roles/readonly': ({ body }) => ({ body: role('readonly', (body as { permissions: string[] }).permissions) }),
    });
    const user = userEvent.setup();
    renderApp('/roles');

    const headers = await screen.findAllByRole('columnheader');
    expect(headers.map((h) => h.textContent?.split(/\d/)[0]?.trim())).toEqual([
      'Permission',
      'superadmin',
      'admin',
      'readonly',
      'auditor',
    ]);
    const superadmin = screen.getByRole<HTMLInputElement>('checkbox', { name: 'superadmin: can_manage_users' });
    expect(superadmin.checked).toBe(true);
    expect(superadmin.disabled).toBe(true);

    await user.click(screen.getByRole('checkbox', { name: 'readonly: can_view_users' }));
    await screen.findByText('Unsaved changes to 1 role: readonly.');
    await user.click(screen.getByRole('button', { name: 'Save changes' }));

    await screen.findByText('The permission matrix was saved.');
    expect(api.calls('PUT /permissions/roles/readonly').map((c) => c.body)).toEqual([
      { permissions: ['can_view_dashboard', 'can_view_users'], description: '' },
    ]);
    expect(api.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  it('discards unsaved changes', async () => {
    mockApi({ 'GET /permissions/roles': { body: matrix } });
    const user = userEvent.setup();
    renderApp('/roles');
    const box = await screen.findByRole<HTMLInputElement>('checkbox', { name: 'auditor: can_view_dashboard' });
    await user.click(box);
    expect(box.checked).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Discard' }));
    expect(box.checked).toBe(false);
    expect(screen.queryByText(/Unsaved changes/)).toBeNull();
  });

  it('is read-only without can_manage_settings', async () => {
    mockApi({
      'GET /auth/profile': { body: { user: makeUser({ role: 'viewer' }), permissions: ['can_view_users'] } },
      'GET /permissions/roles': { body: matrix },
    });
    renderApp('/roles');
    const box = await screen.findByRole<HTMLInputElement>('checkbox', { name: 'admin: can_view_users' });
    expect(box.disabled).toBe(true);
    expect(screen.queryByRole('button', { name: 'Add role' })).toBeNull();
    expect(screen.queryByRole('button', { name: /^Delete role/ })).toBeNull();
  });

  it('creates a custom role starting from another role’s permissions', async () => {
    const api = mockApi({
      'GET /permissions/roles': { body: matrix },
      'POST /permissions/roles': { status: 201, body: role('helpdesk', ['can_view_users'], { builtin: false }) },
    });
    const user = userEvent.setup();
    renderApp('/roles');
    await user.click(await screen.findByRole('button', { name: 'Add role' }));
    const dialog = screen.getByRole('dialog', { name: 'Add a role' });
    expect(dialog).toBeTruthy();
    await user.type(screen.getByLabelText('Name'), 'helpdesk');
    await user.selectOptions(screen.getByLabelText('Start with the permissions of'), 'auditor');
    await user.click(within(dialog).getByRole('button', { name: 'Add role' }));
    await waitFor(() => expect(api.calls('POST /permissions/roles')).toHaveLength(1));
    expect(api.calls('POST /permissions/roles')[0]?.body).toEqual({
      name: 'helpdesk',
      description: '',
      permissions: ['can_view_users'],
    });
  });

  it('asks before deleting a custom role and shows a refusal', async () => {
    const api = mockApi({
      'GET /permissions/roles': { body: matrix },
      'DELETE /permissions/roles/auditor': {
        status: 409,
        body: { error: 'The role is assigned to users; give them another role first', code: 'role_in_use' },
      },
    });
    const user = userEvent.setup();
    renderApp('/roles');
    await user.click(await screen.findByRole('button', { name: 'Delete role auditor' }));
    expect(screen.getByRole('dialog', { name: 'Delete role auditor?' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Delete role' }));
    await screen.findByText('The role is assigned to users; give them another role first');
    expect(api.calls('DELETE /permissions/roles/auditor')).toHaveLength(1);
    // Built-in roles cannot be deleted, so they offer no button.
    expect(screen.queryByRole('button', { name: 'Delete role admin' })).toBeNull();
  });
});
