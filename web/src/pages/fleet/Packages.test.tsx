import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../api/client';
import { makeUser, mockApi, READONLY_PERMISSIONS } from '../../test/api';
import { renderApp } from '../../test/render';
import { exportHref, packageQuery, PAGE_SIZE } from './Packages';
import { nextSort } from './table';

function pkg(name: string, overrides: Partial<Schemas['FleetPackage']> = {}): Schemas['FleetPackage'] {
  return {
    id: `00000000-0000-4000-8000-${String(name.length).padStart(12, '0')}`,
    name,
    description: `${name} package`,
    category: 'libs',
    latest_version: '1.1',
    hosts_count: 3,
    outdated_hosts_count: 0,
    security_hosts_count: 0,
    ...overrides,
  };
}

const list = (packages: Schemas['FleetPackage'][], total = packages.length) => ({
  body: { packages, total, limit: PAGE_SIZE, offset: 0, categories: ['libs', 'web'] },
});

describe('package list state', () => {
  it('reads the URL into the API query', () => {
    const params = new URLSearchParams('search=ssl&category=libs&updates=1&sort=security&order=asc&page=3');
    expect(packageQuery((k) => params.get(k) ?? '', 3)).toEqual({
      search: 'ssl',
      category: 'libs',
      needs_update: true,
      security_only: undefined,
      sort: 'security',
      order: 'asc',
      limit: PAGE_SIZE,
      offset: 2 * PAGE_SIZE,
    });
    const bad = new URLSearchParams('sort=popularity&order=sideways');
    expect(packageQuery((k) => bad.get(k) ?? '', 1)).toMatchObject({ sort: undefined, order: undefined, offset: 0 });
  });

  it('flips the order of the current column and starts a new one at its default', () => {
    expect(nextSort({ sort: 'name', order: 'asc' }, 'name', 'asc')).toEqual({ sort: 'name', order: 'desc' });
    expect(nextSort({ sort: 'name', order: '' }, 'hosts', 'desc')).toEqual({ sort: 'hosts', order: 'desc' });
    expect(nextSort({ sort: 'hosts', order: '' }, 'hosts', 'desc')).toEqual({ sort: 'hosts', order: 'asc' });
  });

  it('builds export links with the update filters', () => {
    expect(exportHref('csv', false, false)).toBe('/api/v1/packages/export?format=csv');
    expect(exportHref('json', true, true)).toBe('/api/v1/packages/export?format=json&needs_update=true&security_only=true');
  });
});

describe('packages page', () => {
  it('lists packages with security counts, sorts and filters through the API', async () => {
    const api = mockApi({
      'GET /packages': ({ query }) =>
        query.get('security_only') === 'true'
          ? list([pkg('openssl', { outdated_hosts_count: 2, security_hosts_count: 2 })])
          : list([pkg('curl'), pkg('openssl', { outdated_hosts_count: 2, security_hosts_count: 2 })]),
    });
    const user = userEvent.setup();
    renderApp('/packages');

    const table = await screen.findByRole('table');
    expect(within(table).getByRole('link', { name: 'openssl' }).getAttribute('href')).toMatch(/^\/packages\/[0-9a-f-]+$/);
    expect(within(table).getByText('2 security')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toBe('/api/v1/packages/export?format=csv');

    await user.click(within(table).getByRole('button', { name: /Installed on/ }));
    await waitFor(() => expect(api.calls('GET /packages').at(-1)?.query.get('sort')).toBe('hosts'));
    expect(api.calls('GET /packages').at(-1)?.query.get('order')).toBe('desc');

    await user.click(screen.getByLabelText('Security updates only'));
    await waitFor(() => expect(api.calls('GET /packages').at(-1)?.query.get('security_only')).toBe('true'));
    await waitFor(() => expect(screen.queryByRole('link', { name: 'curl' })).toBeNull());
    expect(screen.getByRole('link', { name: 'Export CSV' }).getAttribute('href')).toContain('security_only=true');
  });

  it('says how packages arrive when there are none, and hides export without the permission', async () => {
    mockApi({
      'GET /auth/profile': { body: { user: makeUser({ role: 'readonly' }), permissions: READONLY_PERMISSIONS } },
      'GET /packages': list([]),
    });
    renderApp('/packages');
    await screen.findByText('No packages yet.');
    expect(screen.getByRole('link', { name: 'Add a host' }).getAttribute('href')).toBe('/hosts');
    expect(screen.queryByRole('link', { name: 'Export CSV' })).toBeNull();
  });

  it('pages through a long list', async () => {
    const api = mockApi({ 'GET /packages': () => list([pkg('curl')], PAGE_SIZE + 3) });
    const user = userEvent.setup();
    renderApp('/packages');
    await screen.findByText(`1–${PAGE_SIZE} of ${PAGE_SIZE + 3}`);
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(api.calls('GET /packages').at(-1)?.query.get('offset')).toBe(String(PAGE_SIZE)));
  });

  it('shows a package with its hosts, security updates flagged and linked to host pages', async () => {
    const id = '00000000-0000-4000-8000-00000000000a';
    mockApi({
      [`GET /packages/${id}`]: {
        body: {
          ...pkg('openssl', { outdated_hosts_count: 1, security_hosts_count: 1, hosts_count: 2 }),
          id,
          up_to_date_hosts_count: 1,
          versions: [{ version: '3.0.1', count: 1 }, { version: '3.0.2', count: 1 }],
          created_at: '2025-01-01T00:00:00Z',
          updated_at: '2025-01-01T00:00:00Z',
        },
      },
      [`GET /packages/${id}/hosts`]: {
        body: {
          hosts: [
            {
              id: 'h1', friendly_name: 'web-1', hostname: 'web-1.example.com', ip: null, os_type: 'Debian', os_version: '12',
              status: 'active', current_version: '3.0.1', available_version: '3.0.2', needs_update: true, is_security_update: true,
              last_checked: '2025-01-02T00:00:00Z',
            },
          ],
          total: 1, limit: 50, offset: 0,
        },
      },
    });
    renderApp(`/packages/${id}`);
    await screen.findByRole('heading', { name: 'openssl' });
    expect(await screen.findByText('Security update')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'web-1' }).getAttribute('href')).toBe('/hosts/h1');
    expect(screen.getByText('3.0.2', { selector: 'td' })).toBeTruthy();
  });
});
