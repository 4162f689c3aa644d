// @ts-check
// The dashboard in the browser: the counts of a seeded fleet, live refresh when an agent
// reports, customising the layout with the keyboard (kept across reloads, because it is
// saved to the account), and Settings → General changing the agent update interval and
// uploading a logo that then shows in the header.
import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import { ADMIN, apiCall, setupAdmin, signIn } from './flows.mjs';
import { screenshot, useHarness } from './harness.mjs';

/**
 * Sends a full agent report for a host created through the API.
 * @param {string} baseUrl
 * @param {{ apiId: string, apiKey: string }} host
 * @param {{ os: [string, string], reboot?: boolean, packages: [string, boolean, boolean][] }} report name, needs update, security
 */
async function report(baseUrl, host, { os, reboot = false, packages }) {
  const res = await fetch(`${baseUrl}/api/v1/hosts/update`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-ID': host.apiId, 'X-API-KEY': host.apiKey },
    body: JSON.stringify({
      osType: os[0],
      osVersion: os[1],
      hostname: 'host.example.com',
      architecture: 'x86_64',
      agentVersion: '1.4.0',
      kernelVersion: '6.8.0',
      needsReboot: reboot,
      packageManager: 'apt',
      packages: packages.map(([name, update, security]) => ({
        name,
        currentVersion: '1.0',
        availableVersion: update ? '1.1' : '',
        needsUpdate: update,
        isSecurityUpdate: security,
      })),
      repositories: [],
    }),
  });
  assert.equal(res.status, 200, await res.text());
}

/**
 * The number shown on a stat card.
 * @param {import('playwright-core').Page} page
 * @param {string} title
 */
async function count(page, title) {
  const card = page.getByRole('list', { name: 'Fleet totals' }).getByRole('link', { name: new RegExp(`^${title}`) });
  const text = (await card.locator('span').nth(1).textContent()) ?? '';
  return Number(text.trim());
}

/**
 * Waits until a stat card shows want.
 * @param {import('playwright-core').Page} page
 * @param {string} title
 * @param {number} want
 */
async function waitForCount(page, title, want) {
  await page
    .getByRole('list', { name: 'Fleet totals' })
    .getByRole('link', { name: new RegExp(`^${title}`) })
    .locator('span')
    .nth(1)
    .filter({ hasText: new RegExp(`^${want}$`) })
    .waitFor({ timeout: 30_000 });
}

describe('dashboard', () => {
  const h = useHarness({ name: 'dashboard' });
  /** @type {string} */
  let token;
  /** @type {{ apiId: string, apiKey: string }} */
  let late;

  before(async () => {
    token = await setupAdmin(h.url);
    /** @param {string} name */
    const host = async (name) => apiCall(h.url, 'POST', '/hosts', { token, body: { friendly_name: name }, expect: 201 });
    await report(h.url, await host('web-01'), {
      os: ['Ubuntu', '24.04'],
      reboot: true,
      packages: [
        ['nginx', true, false],
        ['openssl', true, true],
        ['curl', false, false],
      ],
    });
    await report(h.url, await host('db-01'), { os: ['Debian', '12'], packages: [['libssl3', true, true]] });
    await report(h.url, await host('build-01'), { os: ['Ubuntu', '24.04'], packages: [['curl', false, false]] });
    late = await host('late-01');
    await signIn(h.page, ADMIN);
  });

  h.test('shows the counts of the seeded fleet and follows agent reports live', async () => {
    const { page } = h;
    await page.goto('/');
    await page.getByRole('list', { name: 'Fleet totals' }).waitFor();
    assert.equal(await count(page, 'Total Hosts'), 4);
    assert.equal(await count(page, 'Needs Updating'), 2);
    assert.equal(await count(page, 'Security Updates'), 2);
    assert.equal(await count(page, 'Up to Date'), 1);
    assert.equal(await count(page, 'Needs Reboots'), 1);
    assert.equal(await count(page, 'Offline'), 0);
    const needing = page.getByRole('link', { name: /^Needs Updating/ });
    assert.equal(await needing.getAttribute('href'), '/hosts?updates=1');

    const os = page.getByRole('region', { name: 'OS Distribution' });
    await os.getByRole('list', { name: 'Hosts per operating system' }).getByText('Ubuntu 24.04').waitFor();
    await page.getByRole('region', { name: 'Recent Activity' }).getByRole('link', { name: 'build-01' }).waitFor();
    await page.getByRole('region', { name: 'Update Trends' }).waitFor();
    await screenshot(page, 'dashboard');

    // The fourth host's first report arrives over the events stream: no reload.
    await report(h.url, late, { os: ['Rocky Linux', '9'], packages: [['kernel', true, true]] });
    await waitForCount(page, 'Needs Updating', 3);
    await waitForCount(page, 'Security Updates', 3);
    await os.getByText('Rocky Linux 9').waitFor();

    // A card opens the host list with its filter.
    await page.getByRole('link', { name: /^Needs Updating/ }).click();
    await page.waitForURL(/\/hosts\?updates=1$/);
    assert.equal(await page.getByLabel('Needs updates').isChecked(), true);
    await page.getByRole('link', { name: 'late-01' }).first().waitFor();
    assert.equal(await page.getByRole('link', { name: 'build-01' }).count(), 0, 'an up-to-date host is filtered out');
    await screenshot(page, 'dashboard-card-to-hosts');
  });

  h.test('customising the layout with the keyboard is kept across reloads', async () => {
    const { page } = h;
    await page.goto('/');
    await page.getByRole('list', { name: 'Fleet totals' }).waitFor();
    await page.getByRole('button', { name: 'Customise' }).click();
    const panel = page.getByRole('region', { name: 'Customise dashboard' });
    await panel.getByRole('checkbox', { name: 'Show Total Hosts' }).uncheck();
    await panel.getByRole('button', { name: 'Move Offline up' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter'); // focus stays on the button: move it again
    await screenshot(page, 'dashboard-customise');
    await panel.getByRole('button', { name: 'Save layout' }).click();
    await page.getByText('Dashboard layout saved.').waitFor();

    const order = async () =>
      page
        .getByRole('list', { name: 'Fleet totals' })
        .getByRole('link')
        .evaluateAll((links) => links.map((l) => l.getAttribute('href')));
    const expected = ['/hosts?updates=1', '/hosts?security=1', '/hosts?status=offline', '/hosts?sort=updates', '/hosts?reboot=1'];
    assert.deepEqual(await order(), expected);

    await page.reload();
    await page.getByRole('list', { name: 'Fleet totals' }).waitFor();
    assert.deepEqual(await order(), expected, 'the layout is saved to the account');
    assert.equal(await page.getByRole('link', { name: /^Total Hosts/ }).count(), 0);
    await screenshot(page, 'dashboard-customised');

    const saved = await apiCall(h.url, 'GET', '/dashboard-preferences', { token });
    assert.equal(saved.customised, true);
  });

  h.test('settings change the update interval and a new logo shows in the header', async () => {
    const { page } = h;
    await page.goto('/settings');
    await page.getByLabel('Agent update interval').selectOption('15');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(/^Settings saved\./).waitFor();
    const settings = await apiCall(h.url, 'GET', '/settings', { token });
    assert.equal(settings.update_interval, 15);

    const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 30" width="120" height="30"><rect width="120" height="30" rx="6" fill="#e11d48"/><text x="10" y="21" font-size="16" fill="#fff">ACME Ops</text></svg>';
    await page.getByLabel('Upload logo for light backgrounds').setInputFiles({ name: 'acme.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(svg) });
    await page.getByText('Light logo uploaded successfully').waitFor();
    const header = page.getByRole('banner');
    const logo = header.getByRole('img', { name: 'PatchMon' });
    await logo.waitFor();
    assert.match((await logo.getAttribute('src')) ?? '', /^\/assets\/logo_light\.png\?v=[0-9a-f]{16}$/);
    await page.waitForFunction(() => {
      const img = document.querySelector('header img');
      return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0;
    });
    await screenshot(page, 'settings-general');

    // After a reload the header still uses it, and so does the sign-in page of a visitor.
    await page.reload();
    await page.getByRole('banner').getByRole('img', { name: 'PatchMon' }).waitFor();
    const favicon = await page.evaluate(() => document.querySelector('link[rel="icon"]')?.getAttribute('href'));
    assert.match(favicon ?? '', /^\/assets\/favicon\.svg\?v=/);
    const served = await fetch(`${h.url}/assets/logo_light.png`);
    assert.equal(served.headers.get('content-type'), 'image/svg+xml');
    assert.equal(await served.text(), svg);

    const visitor = await h.secondBrowser();
    await visitor.page.goto('/login');
    const loginLogo = visitor.page.getByRole('main').getByRole('img', { name: 'PatchMon' });
    await loginLogo.waitFor();
    assert.match((await loginLogo.getAttribute('src')) ?? '', /^\/assets\/logo_light\.png\?v=/);
    await screenshot(visitor.page, 'login-branded');
  });
});
