import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ALL_PERMISSIONS, makeUser, mockApi } from '../../test/api';
import { renderApp } from '../../test/render';

const codes = Array.from({ length: 10 }, (_, i) => `CODE-${String(i).padStart(4, '0')}`);
const pixel = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

describe('profile: two-factor authentication', () => {
  it('enrols with the QR code and shows the backup codes once', async () => {
    let enabled = false;
    const api = mockApi({
      'GET /tfa/status': () => ({ body: { enabled, available: true, backupCodesRemaining: enabled ? 10 : 0, trustedDevices: 0 } }),
      'POST /tfa/setup': { body: { secret: 'JBSWY3DPEHPK3PXP', otpauthUrl: 'otpauth://totp/PatchMon:admin', qrCode: pixel } },
      'POST /tfa/verify-setup': ({ body }) => {
        if ((body as { code: string }).code !== '123456') {
          return { status: 400, body: { error: 'Invalid code; check the time on your device and try again', field: 'code' } };
        }
        enabled = true;
        return { body: { backupCodes: codes } };
      },
    });
    const user = userEvent.setup();
    renderApp('/profile/security');

    await user.click(await screen.findByRole('button', { name: 'Set up two-factor authentication' }));
    const qr = await screen.findByRole('img', { name: 'QR code to add PatchMon to your authenticator app' });
    expect(qr.getAttribute('src')).toBe(pixel);
    expect(screen.getByText('JBSWY3DPEHPK3PXP')).toBeTruthy();

    await user.type(screen.getByLabelText('Code from the app'), '000000');
    await user.click(screen.getByRole('button', { name: 'Turn on two-factor authentication' }));
    await screen.findByText('Invalid code; check the time on your device and try again');

    await user.clear(screen.getByLabelText('Code from the app'));
    await user.type(screen.getByLabelText('Code from the app'), '123 456');
    await user.click(screen.getByRole('button', { name: 'Turn on two-factor authentication' }));

    const list = await screen.findByRole('list', { name: 'Backup codes' });
    expect(within(list).getAllByRole('listitem').map((li) => li.textContent)).toEqual(codes);
    expect(api.calls('POST /tfa/verify-setup').at(-1)?.body).toEqual({ code: '123456' });
    await screen.findByText('Two-factor authentication is on.');

    await user.click(screen.getByRole('button', { name: 'I have saved my codes' }));
    expect(screen.queryByRole('list', { name: 'Backup codes' })).toBeNull();
  });

  it('asks for the password before turning 2FA off', async () => {
    const api = mockApi({
      'GET /tfa/status': { body: { enabled: true, available: true, backupCodesRemaining: 2, trustedDevices: 1 } },
      'POST /tfa/disable': ({ body }) =>
        (body as { password: string }).password === 'right'
          ? { body: { message: 'off' } }
          : { status: 400, body: { error: 'Password is incorrect', code: 'invalid_credentials', field: 'password' } },
    });
    const user = userEvent.setup();
    renderApp('/profile/security');

    await screen.findByText(/running out of backup codes/);
    await user.click(screen.getByRole('button', { name: 'Turn off two-factor authentication' }));
    const dialog = screen.getByRole('dialog', { name: 'Turn off two-factor authentication?' });
    await user.type(within(dialog).getByLabelText('Your password'), 'wrong');
    await user.click(within(dialog).getByRole('button', { name: 'Turn off' }));
    await within(dialog).findByText('Password is incorrect');

    await user.clear(within(dialog).getByLabelText('Your password'));
    await user.type(within(dialog).getByLabelText('Your password'), 'right');
    await user.click(within(dialog).getByRole('button', { name: 'Turn off' }));
    await screen.findByText('Two-factor authentication is off.', { selector: 'p' });
    expect(api.calls('POST /tfa/disable')).toHaveLength(2);
  });

  it('explains that SSO-only accounts have no 2FA or password here', async () => {
    mockApi({
      'GET /auth/profile': { body: { user: makeUser({ hasPassword: false, oidcLinked: true }), permissions: ALL_PERMISSIONS } },
      'GET /tfa/status': { body: { enabled: false, available: false, backupCodesRemaining: 0, trustedDevices: 0 } },
    });
    renderApp('/profile/security');
    await screen.findByText(/This account signs in through single sign-on, where your identity/);
    expect(screen.getByText(/no PatchMon password to change/)).toBeTruthy();
  });
});

describe('profile: password', () => {
  it('puts policy and wrong-password errors under their fields', async () => {
    let attempt = 0;
    mockApi({
      'GET /tfa/status': { body: { enabled: false, available: true, backupCodesRemaining: 0, trustedDevices: 0 } },
      'PUT /auth/change-password': () =>
        ++attempt === 1
          ? { status: 400, body: { error: 'Current password is incorrect', code: 'invalid_credentials', field: 'currentPassword' } }
          : { status: 400, body: { error: 'Password must contain a number', code: 'password_policy', field: 'password' } },
    });
    const user = userEvent.setup();
    renderApp('/profile/security');

    await user.type(await screen.findByLabelText('Current password'), 'old');
    await user.type(screen.getByLabelText('New password'), 'Newpassword!');
    await user.type(screen.getByLabelText('Confirm new password'), 'Newpassword!');
    await user.click(screen.getByRole('button', { name: 'Change password' }));
    await screen.findByText('Current password is incorrect');
    expect(screen.getByLabelText('Current password').getAttribute('aria-invalid')).toBe('true');

    await user.click(screen.getByRole('button', { name: 'Change password' }));
    await screen.findByText('Password must contain a number');
    expect(screen.getByLabelText('New password').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByLabelText('Current password').getAttribute('aria-invalid')).toBeNull();
  });
});

describe('profile: account', () => {
  it('saves only the changed details and the theme preference', async () => {
    const api = mockApi({
      'PUT /auth/profile': ({ body }) => ({ body: { user: makeUser(body as object), permissions: ALL_PERMISSIONS } }),
    });
    const user = userEvent.setup();
    renderApp('/profile');

    const first = await screen.findByLabelText('First name');
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Save details' }).disabled).toBe(true);
    await user.clear(first);
    await user.type(first, 'Augusta');
    await user.click(screen.getByRole('button', { name: 'Save details' }));
    await screen.findByText('Your details were saved.');
    expect(api.calls('PUT /auth/profile')[0]?.body).toEqual({ firstName: 'Augusta' });

    await user.selectOptions(screen.getByLabelText('Theme'), 'dark');
    await waitFor(() => expect(api.calls('PUT /auth/profile').at(-1)?.body).toEqual({ themePreference: 'dark' }));
    expect(document.documentElement.classList.contains('dark')).toBe(true);
  });

  it('follows the theme saved in the profile when the user signs in', async () => {
    mockApi({ 'GET /auth/profile': { body: { user: makeUser({ themePreference: 'dark' }), permissions: ALL_PERMISSIONS } } });
    renderApp('/');
    await screen.findByRole('heading', { name: 'Dashboard', level: 1 });
    expect(document.documentElement.classList.contains('dark')).toBe(true);
  });
});

describe('profile: sessions and devices', () => {
  it('lists sessions and trusted devices and revokes them', async () => {
    const session = (id: string, current: boolean, ua: string) => ({
      id,
      loginMethod: 'password',
      ipAddress: '192.0.2.1',
      userAgent: ua,
      createdAt: '2025-01-01T00:00:00Z',
      lastActivityAt: '2025-01-02T00:00:00Z',
      expiresAt: '2025-01-08T00:00:00Z',
      current,
    });
    const api = mockApi({
      'GET /auth/sessions': {
        body: {
          sessions: [
            session('00000000-0000-4000-8000-00000000000a', true, 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0'),
            session('00000000-0000-4000-8000-00000000000b', false, 'Mozilla/5.0 (Windows NT 10.0) Firefox/128.0'),
          ],
        },
      },
      'DELETE /auth/sessions/00000000-0000-4000-8000-00000000000b': { body: { message: 'Revoked' } },
      'GET /tfa/trusted-devices': { body: { devices: [] } },
    });
    const user = userEvent.setup();
    renderApp('/profile/sessions');

    const list = await screen.findByRole('list', { name: 'Sessions' });
    expect(within(list).getByText('This browser')).toBeTruthy();
    // The current session is ended with "Sign out", not from this list.
    expect(within(list).getAllByRole('button')).toHaveLength(1);
    await user.click(within(list).getByRole('button', { name: 'Sign out Firefox on Windows from 192.0.2.1' }));
    await screen.findByText('The session was signed out.');
    expect(api.calls('DELETE /auth/sessions/00000000-0000-4000-8000-00000000000b')).toHaveLength(1);
    expect(screen.getByText(/No trusted devices/)).toBeTruthy();
  });

  it('signs out everywhere after confirmation', async () => {
    const api = mockApi({
      'GET /auth/sessions': { body: { sessions: [] } },
      'GET /tfa/trusted-devices': { body: { devices: [] } },
      'POST /auth/logout-all': { body: { message: 'All sessions revoked' } },
    });
    const user = userEvent.setup();
    renderApp('/profile/sessions');
    await user.click(await screen.findByRole('button', { name: 'Sign out everywhere' }));
    const dialog = screen.getByRole('dialog', { name: 'Sign out everywhere?' });
    await user.click(within(dialog).getByRole('button', { name: 'Sign out everywhere' }));
    await screen.findByText('You have signed out.');
    expect(api.calls('POST /auth/logout-all')).toHaveLength(1);
  });
});
