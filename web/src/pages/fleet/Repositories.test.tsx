import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../api/client';
import { makeUser, mockApi, READONLY_PERMISSIONS } from '../../test/api';
import { renderApp } from '../../test/render';

const id = '00000000-0000-4000-8000-0000000000aa';

function repo(overrides: Partial<Schemas['Repository']> = {}): Schemas['Repository'] {
  return {
    id,
    name: 'ubuntu',
    url: 'http://archive.ubuntu.com/ubuntu',
    distribution: 'noble',
    components: 'main',
    repo_type: 'deb',
    is_secure: false,
    is_active: true,
    description: '',
    hosts_count: 2,
    enabled_hosts_count: 2,
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    ...overrides,
  };
}

const noHosts = { body: { hosts: [], total: 0, limit: 50, offset: 0 } };

describe('repositories', () => {
  it('lists repositories with their security and filters by it', async () => {
    const api = mockApi({
      'GET /repositories': ({ query }) => ({
        body: {
          repositories: query.get('secure') === 'true' ? [repo({ name: 'security', is_secure: true })] : [repo(), repo({ id: 'x', name: 'security', is_secure: true })],
          total: 2, limit: 50, offset: 0,
        },
      }),
    });
    const user = userEvent.setup();
    renderApp('/repositories');
    const table = await screen.findByRole('table');
    expect(within(within(table).getAllByRole('row')[1]!).getByText('Insecure')).toBeTruthy();
    await user.selectOptions(screen.getByLabelText('Security'), 'true');
    await waitFor(() => expect(api.calls('GET /repositories').at(-1)?.query.get('secure')).toBe('true'));
    await waitFor(() => expect(screen.queryByText('Insecure')).toBeNull());
  });

  it('disables a repository in use but does not offer to delete it', async () => {
    const api = mockApi({
      [`GET /repositories/${id}`]: { body: repo() },
      [`GET /repositories/${id}/hosts`]: noHosts,
      [`PUT /repositories/${id}`]: { body: repo({ is_active: false }) },
    });
    const user = userEvent.setup();
    renderApp(`/repositories/${id}`);
    await screen.findByRole('heading', { name: 'ubuntu', level: 1 });
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Delete' }).disabled).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Disable' }));
    await screen.findByText('ubuntu is disabled.');
    expect(api.calls(`PUT /repositories/${id}`)[0]?.body).toEqual({ is_active: false });
    expect(await screen.findByRole('button', { name: 'Enable' })).toBeTruthy();
  });

  it('deletes an unused repository after confirmation', async () => {
    const api = mockApi({
      [`GET /repositories/${id}`]: { body: repo({ hosts_count: 0, enabled_hosts_count: 0 }) },
      [`GET /repositories/${id}/hosts`]: noHosts,
      [`DELETE /repositories/${id}`]: { body: { message: 'Repository deleted', repository: repo({ hosts_count: 0 }) } },
      'GET /repositories': { body: { repositories: [], total: 0, limit: 50, offset: 0 } },
    });
    const user = userEvent.setup();
    renderApp(`/repositories/${id}`);
    await screen.findByText('No host uses this repository.');
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Delete repository' }));
    await screen.findByText('ubuntu is deleted.');
    expect(api.calls(`DELETE /repositories/${id}`)).toHaveLength(1);
    await screen.findByText('No repositories yet.');
  }, 15_000);

  it('shows readonly users no changes', async () => {
    mockApi({
      'GET /auth/profile': { body: { user: makeUser({ role: 'readonly' }), permissions: READONLY_PERMISSIONS } },
      [`GET /repositories/${id}`]: { body: repo() },
      [`GET /repositories/${id}/hosts`]: noHosts,
    });
    renderApp(`/repositories/${id}`);
    await screen.findByRole('heading', { name: 'ubuntu', level: 1 });
    expect(screen.queryByRole('button', { name: 'Disable' })).toBeNull();
  });
});
