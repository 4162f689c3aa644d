import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { makeUser, mockApi, READONLY_PERMISSIONS } from '../test/api';
import { renderApp } from '../test/render';

const readonly = { user: makeUser({ username: 'rita', firstName: 'Rita', lastName: 'Reader', role: 'readonly' }), permissions: READONLY_PERMISSIONS };

describe('permissions in the shell', () => {
  it('hides the administration section from a readonly user', async () => {
    mockApi({ 'GET /auth/profile': { body: readonly } });
    renderApp('/');
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    const links = within(nav)
      .getAllByRole('link')
      .map((a) => a.textContent);
    expect(links).toEqual(['Dashboard', 'Hosts', 'Packages', 'Repositories', 'Host Groups', 'Scheduled Reports']);
    expect(within(nav).queryByText('Administration')).toBeNull();
  });

  it('refuses an administration page opened by URL without asking the API for it', async () => {
    const api = mockApi({ 'GET /auth/profile': { body: readonly } });
    renderApp('/users');
    await screen.findByRole('heading', { name: 'You do not have access to this page' });
    expect(api.calls('GET /auth/admin/users')).toHaveLength(0);
  });
});

describe('user menu', () => {
  it('shows the user, opens the profile, closes on Escape and signs out', async () => {
    const api = mockApi();
    const user = userEvent.setup();
    renderApp('/');

    const button = await screen.findByRole('button', { name: 'Account menu for Ada Admin' });
    expect(button.getAttribute('aria-expanded')).toBe('false');
    await user.click(button);
    expect(button.getAttribute('aria-expanded')).toBe('true');
    expect(screen.getByText('admin@example.com')).toBeTruthy();
    await user.keyboard('{Escape}');
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(document.activeElement).toBe(button);

    await user.click(button);
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    await screen.findByText('You have signed out.');
    expect(api.calls('POST /auth/logout')).toHaveLength(1);
  });
});

describe('session expiry', () => {
  it('sends the user to the login page with a message and back to the page afterwards', async () => {
    let sessionAlive = true;
    const api = mockApi({
      'GET /auth/profile': () =>
        sessionAlive
          ? { body: { user: makeUser(), permissions: ['can_view_dashboard', 'can_view_users'] } }
          : { status: 401, body: { error: 'Session has ended; please sign in again', code: 'session_expired' } },
      'GET /audit-log': () =>
        sessionAlive
          ? { body: { events: [], total: 0 } }
          : { status: 401, body: { error: 'Session has ended; please sign in again', code: 'session_expired' } },
      'GET /auth/admin/users': { body: { users: [], total: 0 } },
      'POST /auth/login': () => {
        sessionAlive = true;
        return {
          body: {
            requiresTfa: false,
            user: makeUser(),
            permissions: ['can_view_dashboard', 'can_view_users'],
            token: 't',
            refreshToken: 'r',
            expiresAt: '2030-01-01T00:00:00Z',
          },
        };
      },
    });
    const user = userEvent.setup();
    renderApp('/');
    await screen.findByRole('heading', { name: 'Dashboard', level: 1 });

    sessionAlive = false;
    await user.click(screen.getByRole('link', { name: 'Audit Log' }));

    await screen.findByText('Your session has expired. Sign in again to continue where you left off.');
    expect(api.calls('POST /auth/refresh')).toHaveLength(1);

    await user.type(screen.getByLabelText('Username or email'), 'admin');
    await user.type(screen.getByLabelText('Password'), 'Secret!1');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByRole('heading', { name: 'Audit log', level: 1 });
  });

  it('says the server is unreachable instead of asking to sign in', async () => {
    mockApi({ 'GET /auth/profile': { status: 503, body: { error: 'Server is starting, try again shortly' } } });
    renderApp('/');
    await screen.findByText('Cannot reach the PatchMon server.');
    expect(screen.getByText('Server is starting, try again shortly')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});
