// @ts-check
// Roles in the browser: an administrator manages users and the permission matrix, a
// readonly user sees neither the administration pages nor their actions, and the audit
// log records and filters what happened.
import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import { ADMIN, apiCall, apiLogin, navLinks, setupAdmin, signIn, signOut, submitLogin } from './flows.mjs';
import { screenshot, useHarness } from './harness.mjs';

const READER = {
  username: 'rita',
  email: 'rita@example.com',
  firstName: 'Rita',
  lastName: 'Reader',
  password: 'Read!0nly-pass',
};

describe('roles and permissions', () => {
  const h = useHarness({ name: 'rbac' });
  /** @type {import('playwright-core').Page & { scriptErrors: string[] }} */
  let reader;

  before(async () => {
    await setupAdmin(h.url);
    await signIn(h.page, ADMIN);
  });

  h.test('an administrator adds a readonly user from the Users page', async () => {
    const { page } = h;
    await page.goto('/users');
    await page.getByRole('button', { name: 'Add user' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a user' });
    await dialog.getByLabel('First name').fill(READER.firstName);
    await dialog.getByLabel('Last name').fill(READER.lastName);
    await dialog.getByLabel('Username').fill(READER.username);
    await dialog.getByLabel('Email').fill(READER.email);
    await dialog.getByLabel('Password').fill('weak');
    await dialog.getByLabel('Role').selectOption('readonly');
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await dialog.getByText(/^Password must /).waitFor();
    await screenshot(page, 'users-add-error');

    await dialog.getByLabel('Password').fill(READER.password);
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await page.getByText('rita was added.').waitFor();
    assert.equal(await dialog.count(), 0);
    const row = page.getByRole('row').filter({ hasText: READER.email });
    await row.getByText('readonly').waitFor();
    await row.getByText('Active').waitFor();
  });

  h.test('a readonly user sees no administration pages or actions', async () => {
    reader = (await h.secondBrowser()).page;
    await signIn(reader, READER);
    assert.deepEqual(await navLinks(reader), ['Dashboard', 'Hosts', 'Packages', 'Repositories', 'Host Groups', 'Alerts', 'Scheduled Reports']);
    await screenshot(reader, 'readonly-dashboard');

    for (const path of ['/users', '/roles', '/audit-log', '/settings']) {
      await reader.goto(path);
      await reader.getByRole('heading', { name: 'You do not have access to this page' }).waitFor();
    }
    await screenshot(reader, 'readonly-forbidden');

    // The server agrees: the pages are hidden because the API refuses, not only by taste.
    const token = await apiLogin(h.url, READER);
    await apiCall(h.url, 'GET', '/auth/admin/users', { token, expect: 403 });
    await apiCall(h.url, 'GET', '/permissions/roles', { token, expect: 403 });
    await apiCall(h.url, 'GET', '/audit-log', { token, expect: 403 });
    assert.deepEqual(reader.scriptErrors, []);
  });

  h.test('the permission matrix grants a permission, and the readonly user sees the page but not its actions', async () => {
    const { page } = h;
    await page.goto('/roles');
    const box = page.getByRole('checkbox', { name: 'readonly: can_view_users', exact: true });
    assert.equal(await box.isChecked(), false);
    assert.equal(await page.getByRole('checkbox', { name: 'superadmin: can_view_users' }).isDisabled(), true);
    await box.check();
    await page.getByText('Unsaved changes to 1 role: readonly.').waitFor();
    await screenshot(page, 'roles-unsaved');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('The permission matrix was saved.').waitFor();
    assert.equal(await box.isChecked(), true);

    await reader.goto('/users');
    await reader.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    assert.deepEqual(await navLinks(reader), [
      'Dashboard',
      'Hosts',
      'Packages',
      'Repositories',
      'Host Groups',
      'Alerts',
      'Scheduled Reports',
      'Users',
      'Roles',
      'Audit Log',
    ]);
    await reader.getByRole('row').filter({ hasText: ADMIN.email }).waitFor();
    assert.equal(await reader.getByRole('button', { name: 'Add user' }).count(), 0);
    assert.equal(await reader.getByRole('button', { name: /^Edit / }).count(), 0);
    assert.equal(await reader.getByRole('button', { name: /^More actions for / }).count(), 0);

    await reader.goto('/roles');
    await reader.getByRole('checkbox', { name: 'admin: can_view_users', exact: true }).waitFor();
    assert.equal(await reader.getByRole('checkbox', { name: 'admin: can_view_users', exact: true }).isDisabled(), true);
    assert.equal(await reader.getByRole('button', { name: 'Add role' }).count(), 0);
    await screenshot(reader, 'readonly-roles');
  });

  h.test('an administrator edits, resets, deactivates and deletes a user', async () => {
    const { page } = h;
    await page.goto('/users');
    await page.getByRole('button', { name: 'Edit rita' }).click();
    let dialog = page.getByRole('dialog', { name: 'Edit rita' });
    await dialog.getByLabel('Role').selectOption('user');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('rita was saved.').waitFor();
    const row = page.getByRole('row').filter({ hasText: READER.email });
    await row.getByRole('cell', { name: 'user', exact: true }).waitFor();

    await page.getByRole('button', { name: 'More actions for rita' }).click();
    await page.getByRole('button', { name: 'Reset password' }).click();
    dialog = page.getByRole('dialog', { name: 'Reset the password of rita' });
    await dialog.getByLabel('New password').fill('New!Passw0rd-1');
    await dialog.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('The password of rita was set; they were signed out everywhere.').waitFor();
    // The reader's browser session ended with the reset.
    await reader.goto('/');
    await reader.getByRole('heading', { name: 'Sign in to PatchMon' }).waitFor();
    await submitLogin(reader, { username: READER.username, password: 'New!Passw0rd-1' });
    await reader.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await signOut(reader);

    await page.getByRole('button', { name: 'Edit rita' }).click();
    dialog = page.getByRole('dialog', { name: 'Edit rita' });
    await dialog.getByLabel('Active').uncheck();
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await row.getByText('Inactive').waitFor();
    await page.getByLabel('Status').selectOption('false');
    await page.getByRole('row').filter({ hasText: ADMIN.email }).waitFor({ state: 'detached' });
    await page.getByRole('row').filter({ hasText: READER.email }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('active'), 'false');
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('row').filter({ hasText: ADMIN.email }).waitFor();

    await page.getByRole('button', { name: 'More actions for rita' }).click();
    await screenshot(page, 'users-actions-menu');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    dialog = page.getByRole('dialog', { name: 'Delete rita?' });
    await dialog.getByText('This cannot be undone').waitFor();
    await screenshot(page, 'users-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete user' }).click();
    await page.getByText('rita was deleted.').waitFor();
    await page.getByRole('row').filter({ hasText: READER.email }).waitFor({ state: 'detached' });
  });

  h.test('the audit log lists what happened and filters it', async () => {
    const { page } = h;
    // A failed sign-in to find again.
    await apiCall(h.url, 'POST', '/auth/login', { body: { username: ADMIN.username, password: 'Wrong!Passw0rd' }, expect: 401 });

    await page.goto('/audit-log');
    const table = page.getByRole('table');
    await table.getByText('auth.setup_admin').waitFor();
    await screenshot(page, 'audit-log-full');

    await page.getByLabel('Result').selectOption('false');
    await table.getByText('Failure').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('table')?.textContent?.includes('Success'));
    assert.equal(new URL(page.url()).searchParams.get('success'), 'false');

    await page.getByLabel('Event').fill('auth.login.');
    await page.waitForURL((url) => url.searchParams.get('event') === 'auth.login.');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('tbody tr td:nth-child(2)')].every((td) => td.textContent?.startsWith('auth.login.')),
    );
    await screenshot(page, 'audit-log-filtered');

    // Filters live in the URL, so a filtered view can be reloaded and shared.
    await page.reload();
    assert.equal(await page.getByLabel('Event').inputValue(), 'auth.login.');
    assert.equal(await page.getByLabel('Result').inputValue(), 'false');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await table.getByText('auth.setup_admin').waitFor();
  });
});
