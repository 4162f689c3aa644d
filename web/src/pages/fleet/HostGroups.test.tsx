import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../api/client';
import { makeUser, mockApi, READONLY_PERMISSIONS } from '../../test/api';
import { renderApp } from '../../test/render';
import { isHexColor } from './HostGroups';

function group(name: string, overrides: Partial<Schemas['HostGroup']> = {}): Schemas['HostGroup'] {
  return {
    id: `00000000-0000-4000-8000-00000000000${name.length}`,
    name,
    description: '',
    color: '#10B981',
    hosts_count: 0,
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    ...overrides,
  };
}

describe('host groups', () => {
  it('accepts only #rrggbb colours', () => {
    expect(isHexColor('#3B82F6')).toBe(true);
    expect(isHexColor('#3b82f6')).toBe(true);
    expect(isHexColor('#fff')).toBe(false);
    expect(isHexColor('blue')).toBe(false);
  });

  it('lists groups with counts and creates one, showing the server’s 409 under the name', async () => {
    const api = mockApi({
      'GET /host-groups': { body: { host_groups: [group('Production', { hosts_count: 2 })], total: 1 } },
      'POST /host-groups': ({ body }) =>
        (body as { name: string }).name === 'Production'
          ? { status: 409, body: { error: 'A host group with this name already exists', code: 'host_group_name_taken', field: 'name' } }
          : { status: 201, body: group((body as { name: string }).name) },
    });
    const user = userEvent.setup();
    renderApp('/host-groups');
    const table = await screen.findByRole('table');
    expect(within(table).getByText('Production')).toBeTruthy();
    expect(within(table).getByRole('link', { name: '2 hosts in Production' }).getAttribute('href')).toBe(`/hosts?group=${group('Production').id}`);

    await user.click(screen.getByRole('button', { name: 'New group' }));
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByLabelText('Name'), 'Production');
    await user.clear(within(dialog).getByLabelText('Hex value'));
    await user.type(within(dialog).getByLabelText('Hex value'), 'blue');
    await user.click(within(dialog).getByRole('button', { name: 'Create group' }));
    expect(await within(dialog).findByText('Use a hex colour like #3B82F6.')).toBeTruthy();
    expect(api.calls('POST /host-groups')).toHaveLength(0);

    await user.click(within(dialog).getByRole('button', { name: 'Colour #EF4444' }));
    await user.click(within(dialog).getByRole('button', { name: 'Create group' }));
    expect(await within(dialog).findByText('A host group with this name already exists')).toBeTruthy();
    expect(api.calls('POST /host-groups')[0]?.body).toEqual({ name: 'Production', description: '', color: '#EF4444' });

    await user.clear(within(dialog).getByLabelText('Name'));
    await user.type(within(dialog).getByLabelText('Name'), 'Staging');
    await user.click(within(dialog).getByRole('button', { name: 'Create group' }));
    await screen.findByText('Staging is created.');
  }, 20_000);

  it('shows the affected hosts before deleting a group', async () => {
    const g = group('Production', { hosts_count: 12 });
    const api = mockApi({
      'GET /host-groups': { body: { host_groups: [g], total: 1 } },
      [`GET /host-groups/${g.id}/hosts`]: {
        body: {
          hosts: [{ id: 'h1', friendly_name: 'web-1', hostname: null, ip: null, os_type: null, os_version: null, status: 'active', needs_reboot: false, outdated_packages: 0, security_updates: 0, last_update: null }],
          total: 12, limit: 10, offset: 0,
        },
      },
      [`DELETE /host-groups/${g.id}`]: { body: { message: 'Host group deleted', group: g, affected_hosts: Array.from({ length: 12 }, (_, i) => ({ id: `h${i}`, friendly_name: `web-${i}` })) } },
    });
    const user = userEvent.setup();
    renderApp('/host-groups');
    await user.click(await screen.findByRole('button', { name: 'Delete Production' }));
    const dialog = await screen.findByRole('dialog');
    expect(await within(dialog).findByText(/These 12 hosts leave the group/)).toBeTruthy();
    expect(within(dialog).getByRole('link', { name: 'web-1' }).getAttribute('href')).toBe('/hosts/h1');
    expect(within(dialog).getByText('and 11 more')).toBeTruthy();
    await user.click(within(dialog).getByRole('button', { name: 'Delete group' }));
    await screen.findByText('Production is deleted; 12 hosts left the group.');
    await waitFor(() => expect(api.calls(`DELETE /host-groups/${g.id}`)).toHaveLength(1));
  });

  it('offers no changes to users who may only view hosts', async () => {
    mockApi({
      'GET /auth/profile': { body: { user: makeUser({ role: 'readonly' }), permissions: READONLY_PERMISSIONS } },
      'GET /host-groups': { body: { host_groups: [], total: 0 } },
    });
    renderApp('/host-groups');
    await screen.findByText('No host groups yet.');
    expect(screen.queryByRole('button', { name: 'New group' })).toBeNull();
  });
});
