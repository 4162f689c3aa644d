// @ts-check
// First-time setup, sign-in, sign-out and session expiry through the real pages.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { ADMIN, apiCall, apiLogin, signOut, submitLogin } from './flows.mjs';
import { screenshot, useHarness } from './harness.mjs';

describe('sign-in flows', () => {
  const h = useHarness({ name: 'auth' });

  h.test('a fresh server sends every page to first-time setup, which checks the password policy per field', async () => {
    const { page } = h;
    await page.goto('/users');
    await page.getByRole('heading', { name: 'Welcome to PatchMon' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/setup');

    await page.getByLabel('First name').fill(ADMIN.firstName);
    await page.getByLabel('Last name').fill(ADMIN.lastName);
    await page.getByLabel('Username').fill(ADMIN.username);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByLabel('Confirm password').fill('short');
    await page.getByRole('button', { name: 'Create administrator' }).click();

    const password = page.getByLabel('Password', { exact: true });
    await page.getByText(/^Password must /).waitFor();
    assert.equal(await password.getAttribute('aria-invalid'), 'true');
    const describedBy = await password.getAttribute('aria-describedby');
    assert.match(await page.locator(`[id="${describedBy}"]`).innerText(), /at least 8 characters/);
    await screenshot(page, 'setup-policy-error');

    await password.fill(ADMIN.password);
    await page.getByLabel('Confirm password').fill(`${ADMIN.password}x`);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByText('The passwords do not match.').waitFor();

    await page.getByLabel('Confirm password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Account menu for Ada Admin' }).waitFor();
    await page.getByText('Your administrator account is ready.').waitFor();
    assert.deepEqual(page.scriptErrors, []);
  });

  h.test('setup is offered only once', async () => {
    const { page } = h;
    await page.goto('/setup');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    await apiCall(h.url, 'POST', '/auth/setup-admin', {
      body: { ...ADMIN, username: 'second', email: 'second@example.com' },
      expect: 409,
    });
  });

  h.test('the user menu shows who is signed in and signs out', async () => {
    const { page } = h;
    await page.getByRole('button', { name: 'Account menu for Ada Admin' }).click();
    await page.getByText(ADMIN.email).waitFor();
    await page.getByText('Role: superadmin').waitFor();
    // The API reference and, for administrators, River's queue dashboard are one click away.
    const reference = page.getByRole('link', { name: 'API reference' });
    assert.equal(await reference.getAttribute('href'), '/api/v1/api-docs');
    assert.equal((await fetch(`${h.url}/api/v1/api-docs`)).status, 200);
    assert.equal(await page.getByRole('link', { name: 'Job queue dashboard' }).getAttribute('href'), '/admin/queues/');
    await screenshot(page, 'user-menu');
    await page.keyboard.press('Escape');
    assert.equal(await page.getByText('Role: superadmin').count(), 0);

    await signOut(page);
    assert.equal(new URL(page.url()).pathname, '/login');
    await screenshot(page, 'login');

    // Signed out means signed out: protected pages lead back to the login page.
    await page.goto('/users');
    await page.getByRole('heading', { name: 'Sign in to PatchMon' }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('next'), '/users');
  });

  h.test('a wrong password is refused; the email address signs in too and returns to the page asked for', async () => {
    const { page } = h;
    await submitLogin(page, { username: ADMIN.username, password: 'Wrong!Passw0rd' });
    await page.getByRole('alert').filter({ hasText: 'Invalid username or password' }).waitFor();
    await screenshot(page, 'login-error');

    await submitLogin(page, { username: ADMIN.email, password: ADMIN.password });
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/users');
  });

  h.test('an ended session sends the user to the login page and back to where they were', async () => {
    const { page } = h;
    await page.goto('/users');
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();

    // Sign this user out everywhere from elsewhere: the browser's session and refresh
    // token stop working, as when an administrator revokes them or they time out.
    const token = await apiLogin(h.url, ADMIN);
    await apiCall(h.url, 'POST', '/auth/logout-all', { token });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit Log' }).click();
    await page.getByText('Your session has expired. Sign in again to continue where you left off.').waitFor();
    const url = new URL(page.url());
    assert.equal(url.pathname, '/login');
    assert.equal(url.searchParams.get('next'), '/audit-log');
    assert.equal(url.searchParams.get('reason'), 'expired');
    await screenshot(page, 'session-expired');

    await submitLogin(page, ADMIN);
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/audit-log');
    assert.deepEqual(page.scriptErrors, []);
  });

  h.test('an expired access token is renewed without the user noticing', async () => {
    const { page } = h;
    await page.goto('/');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    // Losing only the access-token cookie is what its expiry looks like to the browser.
    const cookies = await h.context.cookies();
    assert.ok(cookies.some((c) => c.name === 'refresh_token'), 'the refresh token is a cookie');
    await h.context.clearCookies({ name: 'token' });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Roles' }).click();
    await page.getByRole('heading', { name: 'Roles', level: 1 }).waitFor();
    await page.getByRole('checkbox', { name: 'admin: can_view_users', exact: true }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/roles');
    assert.ok((await h.context.cookies()).some((c) => c.name === 'token'), 'a new access token was issued');
  });

  h.test('an administrator opens self sign-up, and a visitor creates an account with the default role', async () => {
    const { page } = h;
    await page.goto('/settings');
    const toggle = page.getByLabel('Allow self sign-up');
    assert.equal(await toggle.isChecked(), false);
    await toggle.check();
    await page.getByText('Self sign-up is on.').waitFor();
    await screenshot(page, 'settings');

    const visitor = (await h.secondBrowser()).page;
    await visitor.goto('/login');
    await visitor.getByRole('link', { name: 'Create one' }).click();
    await visitor.getByRole('heading', { name: 'Create an account' }).waitFor();
    await visitor.getByLabel('First name').fill('Vera');
    await visitor.getByLabel('Username').fill('vera');
    await visitor.getByLabel('Email').fill('vera@example.com');
    await visitor.getByLabel('Password', { exact: true }).fill('Vera!Passw0rd');
    await visitor.getByLabel('Confirm password').fill('Vera!Passw0rd');
    await visitor.getByRole('button', { name: 'Create account' }).click();
    await visitor.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await visitor.getByRole('button', { name: 'Account menu for Vera' }).click();
    await visitor.getByText('Role: user').waitFor();

    await toggle.uncheck();
    await page.getByText('Self sign-up is off.').waitFor();
    await visitor.keyboard.press('Escape');
    await signOut(visitor);
    await visitor.getByRole('link', { name: 'Create one' }).waitFor({ state: 'detached' });
    await visitor.goto('/signup');
    await visitor.getByText(/^Sign-up is turned off on this server/).waitFor();
  });
});
