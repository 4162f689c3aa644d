// @ts-check
// The dashboard shell in a real browser against a real server: it loads, the navigation
// works, the theme choice survives a reload, unknown paths get the 404 page, and the
// health cards report the embedded database as up.
import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import { ADMIN, apiCall, navLinks, setupAdmin, signIn } from './flows.mjs';
import { screenshot, useHarness } from './harness.mjs';

describe('dashboard shell', () => {
  const h = useHarness({ name: 'shell' });

  before(async () => {
    await setupAdmin(h.url);
    await signIn(h.page, ADMIN);
  });

  h.test('the shell loads with the dashboard and every section the admin may open', async () => {
    const { page } = h;
    await page.goto('/');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    assert.equal(await page.title(), 'Dashboard · PatchMon');
    assert.deepEqual(await navLinks(page), [
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
      'Jobs',
      'Settings',
    ]);
    assert.deepEqual(page.scriptErrors, []);
  });

  h.test('the dashboard health cards show the embedded database up', async () => {
    const { page } = h;
    await page.goto('/');
    const database = page.getByRole('region', { name: 'Database' });
    await database.getByText('Up', { exact: true }).waitFor();
    assert.match(await database.innerText(), /embedded/);
    await page.getByRole('region', { name: 'Server' }).getByText('Healthy', { exact: true }).waitFor();
    await screenshot(page, 'dashboard');
  });

  h.test('the sidebar navigates between pages without a reload', async () => {
    const { page } = h;
    await page.goto('/');
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    // A marker on window survives client-side navigation only.
    await page.evaluate(() => Object.assign(window, { __e2eMarker: 'same document' }));

    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const [link, heading, path, shot] of [
      ['Hosts', 'Hosts', '/hosts', 'hosts'],
      ['Users', 'Users', '/users', 'users'],
      ['Roles', 'Roles', '/roles', 'roles'],
      ['Audit Log', 'Audit log', '/audit-log', 'audit-log'],
      ['Dashboard', 'Dashboard', '/', ''],
    ]) {
      await nav.getByRole('link', { name: link, exact: true }).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      assert.equal(new URL(page.url()).pathname, path);
      assert.equal(await nav.getByRole('link', { name: link, exact: true }).getAttribute('aria-current'), 'page');
      if (shot) await screenshot(page, shot);
    }
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__e2eMarker), 'same document');

    await page.getByRole('button', { name: /^Account menu for Ada Admin/ }).click();
    await page.getByRole('link', { name: 'Profile' }).click();
    await page.getByRole('heading', { name: 'Your profile', level: 1 }).waitFor();
    await screenshot(page, 'profile');
    assert.deepEqual(page.scriptErrors, []);
  });

  h.test('the theme choice survives a reload and is saved to the profile', async () => {
    const { page } = h;
    await page.goto('/');
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    await toggle.waitFor();
    const isDark = () => page.evaluate(() => document.documentElement.classList.contains('dark'));
    assert.equal(await isDark(), false);

    const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/profile') && r.request().method() === 'PUT');
    await toggle.click();
    assert.equal((await saved).status(), 200);
    assert.equal(await isDark(), true);
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');

    await page.reload();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    assert.equal(await isDark(), true);
    assert.equal(await page.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed'), 'true');
    await screenshot(page, 'dashboard-dark');

    const token = await apiCall(h.url, 'POST', '/auth/login', { body: { username: ADMIN.username, password: ADMIN.password } });
    const profile = await apiCall(h.url, 'GET', '/auth/profile', { token: token.token });
    assert.equal(profile.user.themePreference, 'dark');

    // Back to light for the screenshots of the other tests.
    await page.getByRole('button', { name: 'Dark theme' }).click();
    assert.equal(await isDark(), false);
  });

  h.test('an unknown path shows the 404 page inside the shell', async () => {
    const { page } = h;
    await page.goto('/no/such/page');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    assert.equal(await page.getByRole('main').getByText('/no/such/page').count(), 1);
    await screenshot(page, 'not-found');
    await page.getByRole('link', { name: 'Back to the dashboard' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  });

  h.test('at phone width the navigation opens from the menu button', async () => {
    const { page } = h;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto('/');
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      const nav = page.getByRole('navigation', { name: 'Main' });
      assert.equal(await nav.isVisible(), false);
      await page.getByRole('button', { name: 'Open navigation' }).click();
      await nav.getByRole('link', { name: 'Users' }).waitFor();
      await screenshot(page, 'phone-navigation');
      await nav.getByRole('link', { name: 'Users' }).click();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      assert.equal(await nav.isVisible(), false);
      // Nothing may be wider than the screen.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone screen`);
      await screenshot(page, 'phone-users');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
