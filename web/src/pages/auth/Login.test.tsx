import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS, makeUser, mockApi } from '../../test/api';
import { renderApp } from '../../test/render';

const tokens = { token: 'access', refreshToken: 'refresh', expiresAt: '2030-01-01T00:00:00Z' };
const signedIn = { requiresTfa: false, user: makeUser(), permissions: ALL_PERMISSIONS, ...tokens };

async function fillPassword(user: ReturnType<typeof userEvent.setup>, username = 'admin', password = 'Secret!1') {
  await user.type(await screen.findByLabelText('Username or email'), username);
  await user.type(screen.getByLabelText('Password'), password);
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
}

describe('login page', () => {
  it('sends anonymous visitors of a protected page here and brings them back after signing in', async () => {
    const api = mockApi({ 'POST /auth/login': { body: signedIn } }, { signedIn: false });
    const user = userEvent.setup();
    renderApp('/audit-log?success=false');

    await screen.findByRole('heading', { name: 'Sign in to PatchMon' });
    await fillPassword(user, ' admin@example.com ');

    expect(api.calls('POST /auth/login')[0]?.body).toEqual({ username: 'admin@example.com', password: 'Secret!1' });
    // Back on the page asked for, with the filter it had.
    await screen.findByRole('heading', { name: 'Audit log', level: 1 });
    expect(api.calls('GET /audit-log')[0]?.query.get('success')).toBe('false');
  });

  it('shows the server message for a wrong password and for a locked account', async () => {
    let attempt = 0;
    mockApi(
      {
        'POST /auth/login': () =>
          ++attempt === 1
            ? { status: 401, body: { error: 'Invalid username or password', code: 'invalid_credentials' } }
            : {
                status: 423,
                body: { error: 'Account is locked due to too many failed login attempts. Try again in 15 minutes.', code: 'account_locked' },
              },
      },
      { signedIn: false },
    );
    const user = userEvent.setup();
    renderApp('/login');

    await fillPassword(user);
    expect((await screen.findByText('Invalid username or password')).closest('[role="alert"]')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByText(/Account is locked .* 15 minutes\./);
  });

  it('asks for a TOTP or backup code and can remember the device', async () => {
    const api = mockApi(
      {
        'POST /auth/login': { body: { requiresTfa: true, tfaChallenge: 'challenge-1' } },
        'POST /auth/verify-tfa': { body: { user: makeUser(), permissions: ALL_PERMISSIONS, ...tokens } },
      },
      { signedIn: false },
    );
    const user = userEvent.setup();
    renderApp('/login');

    await fillPassword(user);
    await screen.findByRole('heading', { name: 'Two-factor authentication' });
    expect(screen.queryByLabelText('Password')).toBeNull();
    await user.type(screen.getByLabelText('Authentication code'), 'ABCD-1234 ');
    await user.click(screen.getByLabelText('Remember this device'));
    await user.click(screen.getByRole('button', { name: 'Verify' }));

    await screen.findByRole('heading', { name: 'Dashboard', level: 1 });
    expect(api.calls('POST /auth/verify-tfa')[0]?.body).toEqual({
      tfaChallenge: 'challenge-1',
      code: 'ABCD-1234',
      rememberDevice: true,
    });
  });

  it('starts over when the 2FA challenge has expired', async () => {
    mockApi(
      {
        'POST /auth/login': { body: { requiresTfa: true, tfaChallenge: 'old' } },
        'POST /auth/verify-tfa': {
          status: 401,
          body: { error: 'Two-factor sign-in expired or is invalid; please sign in again', code: 'tfa_challenge_invalid' },
        },
      },
      { signedIn: false },
    );
    const user = userEvent.setup();
    renderApp('/login');
    await fillPassword(user);
    await user.type(await screen.findByLabelText('Authentication code'), '123456');
    await user.click(screen.getByRole('button', { name: 'Verify' }));

    await screen.findByRole('heading', { name: 'Sign in to PatchMon' });
    expect(screen.getByText('Two-factor sign-in expired or is invalid; please sign in again')).toBeTruthy();
  });

  it('shows the SSO button with its configured text next to the password form', async () => {
    mockApi(
      { 'GET /auth/oidc/config': { body: { enabled: true, buttonText: 'Sign in with Authentik', disableLocalAuth: false } } },
      { signedIn: false },
    );
    renderApp('/login');
    const sso = await screen.findByRole('link', { name: 'Sign in with Authentik' });
    expect(sso.getAttribute('href')).toBe('/api/v1/auth/oidc/login');
    expect(screen.getByLabelText('Username or email')).toBeTruthy();
  });

  it('hides the password form when local sign-in is disabled', async () => {
    mockApi(
      { 'GET /auth/oidc/config': { body: { enabled: true, buttonText: 'Login with SSO', disableLocalAuth: true } } },
      { signedIn: false },
    );
    renderApp('/login?error=email_not_verified');
    await screen.findByRole('link', { name: 'Login with SSO' });
    expect(screen.queryByLabelText('Username or email')).toBeNull();
    expect(screen.queryByLabelText('Password')).toBeNull();
    expect(screen.getByText(/not verified your email/).closest('[role="alert"]')).toBeTruthy();
  });

  it('says why the user is here after their session expired', async () => {
    mockApi({}, { signedIn: false });
    renderApp('/login?reason=expired&next=%2Fusers');
    await screen.findByText('Your session has expired. Sign in again to continue where you left off.');
  });

  it('links to sign-up only when it is enabled', async () => {
    mockApi({ 'GET /auth/signup-enabled': { body: { enabled: true } } }, { signedIn: false });
    renderApp('/login');
    const link = await screen.findByRole('link', { name: 'Create one' });
    expect(link.getAttribute('href')).toBe('/signup');
  });

  it('goes to first-time setup while no user exists', async () => {
    mockApi({ 'GET /auth/check-admin-users': { body: { hasAdminUsers: false, setupRequired: true } } }, { signedIn: false });
    renderApp('/login');
    await screen.findByRole('heading', { name: 'Welcome to PatchMon' });
  });
});

describe('first-time setup', () => {
  const setupRequired = { 'GET /auth/check-admin-users': { body: { hasAdminUsers: false, setupRequired: true } } };

  it('shows a policy violation under the field it concerns, then signs the new admin in', async () => {
    let attempt = 0;
    const api = mockApi(
      {
        ...setupRequired,
        'POST /auth/setup-admin': () =>
          ++attempt === 1
            ? {
                status: 400,
                body: { error: 'Password must contain a number and contain a special character', code: 'password_policy', field: 'password' },
              }
            : { status: 201, body: { user: makeUser(), permissions: ALL_PERMISSIONS, ...tokens } },
      },
      { signedIn: false },
    );
    const user = userEvent.setup();
    renderApp('/');

    await screen.findByRole('heading', { name: 'Welcome to PatchMon' });
    await user.type(screen.getByLabelText('Username'), 'admin');
    await user.type(screen.getByLabelText('Email'), 'admin@example.com');
    await user.type(screen.getByLabelText('Password'), 'Password');
    await user.type(screen.getByLabelText('Confirm password'), 'Password');
    await user.click(screen.getByRole('button', { name: 'Create administrator' }));

    const password = screen.getByLabelText('Password');
    await waitFor(() => expect(password.getAttribute('aria-invalid')).toBe('true'));
    const message = document.getElementById(password.getAttribute('aria-describedby') ?? '');
    expect(message?.textContent).toBe('Password must contain a number and contain a special character');
    expect(screen.getByLabelText('Username').getAttribute('aria-invalid')).toBeNull();

    await user.clear(password);
    await user.type(password, 'Passw0rd!');
    await user.clear(screen.getByLabelText('Confirm password'));
    await user.type(screen.getByLabelText('Confirm password'), 'Passw0rd!');
    await user.click(screen.getByRole('button', { name: 'Create administrator' }));

    await screen.findByRole('heading', { name: 'Dashboard', level: 1 });
    expect(api.calls('POST /auth/setup-admin')[1]?.body).toEqual({
      username: 'admin',
      email: 'admin@example.com',
      firstName: '',
      lastName: '',
      password: 'Passw0rd!',
    });
  });

  it('refuses mismatched passwords before asking the server', async () => {
    const api = mockApi(setupRequired, { signedIn: false });
    const user = userEvent.setup();
    renderApp('/setup');
    await user.type(await screen.findByLabelText('Username'), 'admin');
    await user.type(screen.getByLabelText('Email'), 'admin@example.com');
    await user.type(screen.getByLabelText('Password'), 'Passw0rd!');
    await user.type(screen.getByLabelText('Confirm password'), 'Passw0rd?');
    await user.click(screen.getByRole('button', { name: 'Create administrator' }));
    await screen.findByText('The passwords do not match.');
    expect(api.calls('POST /auth/setup-admin')).toHaveLength(0);
  });

  it('is not offered once an administrator exists', async () => {
    mockApi({}, { signedIn: false });
    renderApp('/setup');
    const form = await screen.findByRole('form', { name: 'Sign in with a password' });
    expect(within(form).getByLabelText('Username or email')).toBeTruthy();
  });
});
