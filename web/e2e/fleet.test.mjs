// @ts-check
// Fleet views in the browser: hosts report through the real agent API, then an
// administrator creates a host group, finds packages with security updates, opens a
// package and its hosts, browses repositories, exports the package status as CSV, and
// deletes a group after seeing which hosts it affects.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe } from 'node:test';
import { addReportingHost } from './agents.mjs';
import { ADMIN, apiCall, setupAdmin, signIn } from './flows.mjs';
import { screenshot, useHarness } from './harness.mjs';

const debian = { name: 'ubuntu', url: 'http://archive.ubuntu.com/ubuntu', distribution: 'noble', components: 'main', repoType: 'deb', isEnabled: true, isSecure: false };
const security = { name: 'ubuntu-security', url: 'https://security.ubuntu.com/ubuntu', distribution: 'noble-security', components: 'main', repoType: 'deb', isEnabled: true, isSecure: true };

describe('fleet views', () => {
  const h = useHarness({ name: 'fleet' });
  /** @type {string} */
  let token;
  /** @type {Record<string, string>} */
  const hosts = {};

  before(async () => {
    token = await setupAdmin(h.url);
    hosts.web = await addReportingHost(h.url, token, {
      name: 'web-01',
      packages: [
        { name: 'openssl', currentVersion: '3.0.13-0ubuntu3.1', availableVersion: '3.0.13-0ubuntu3.4', needsUpdate: true, isSecurityUpdate: true },
        { name: 'nginx', category: 'web', currentVersion: '1.24.0-2ubuntu7', availableVersion: '1.24.0-2ubuntu7.1', needsUpdate: true },
        { name: 'curl', category: 'web', currentVersion: '8.5.0-2ubuntu10.4' },
      ],
      repositories: [debian, security],
    });
    hosts.db = await addReportingHost(h.url, token, {
      name: 'db-01',
      packages: [
        { name: 'openssl', currentVersion: '3.0.13-0ubuntu3.4' },
        { name: 'postgresql-16', category: 'database', currentVersion: '16.4-0ubuntu0.24.04.1' },
      ],
      repositories: [debian],
    });
    await signIn(h.page, ADMIN);
  });

  h.test('an administrator creates a host group and puts a host in it', async () => {
    const { page } = h;
    await page.goto('/host-groups');
    await page.getByText('No host groups yet.').waitFor();
    await screenshot(page, 'fleet-groups-empty');
    await page.getByRole('button', { name: 'New group' }).click();
    const dialog = page.getByRole('dialog', { name: 'New host group' });
    await dialog.getByLabel('Name').fill('Production');
    await dialog.getByLabel('Description').fill('Customer-facing servers');
    await dialog.getByRole('button', { name: 'Colour #EF4444' }).click();
    await screenshot(page, 'fleet-group-new');
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await page.getByText('Production is created.').waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Production' });
    await row.getByText('Customer-facing servers').waitFor();

    // A second group with the same name is refused with a clear message.
    await page.getByRole('button', { name: 'New group' }).click();
    const again = page.getByRole('dialog', { name: 'New host group' });
    await again.getByLabel('Name').fill('Production');
    await again.getByRole('button', { name: 'Create group' }).click();
    await again.getByText('A host group with this name already exists').waitFor();
    await again.getByRole('button', { name: 'Cancel' }).click();

    // A new host joins the group through the host API; the count follows.
    const groups = await apiCall(h.url, 'GET', '/host-groups', { token });
    const production = groups.host_groups.find((/** @type {{ name: string }} */ g) => g.name === 'Production');
    hosts.app = await addReportingHost(h.url, token, {
      name: 'app-01',
      groups: [production.id],
      packages: [{ name: 'openssl', currentVersion: '3.0.13-0ubuntu3.1', availableVersion: '3.0.13-0ubuntu3.4', needsUpdate: true, isSecurityUpdate: true }],
      repositories: [security],
    });
    await page.reload();
    await row.getByRole('link', { name: '1 host in Production' }).waitFor();
    await screenshot(page, 'fleet-groups');
  });

  h.test('packages show security updates and open to the hosts that have them', async () => {
    const { page } = h;
    await page.getByRole('navigation').getByRole('link', { name: 'Packages' }).first().click();
    await page.waitForURL(/\/packages$/);
    const openssl = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'openssl', exact: true }) });
    await openssl.getByText('2 security').waitFor();
    assert.equal((await openssl.getByRole('cell').nth(3).textContent())?.trim(), '3', 'installed on three hosts');
    await screenshot(page, 'fleet-packages');

    // The box reflects the address, which changes a moment after the click.
    await page.getByLabel('Security updates only').click();
    await page.waitForURL(/security=1/);
    await page.getByRole('checkbox', { name: 'Security updates only', checked: true }).waitFor();
    await page.getByRole('link', { name: 'nginx' }).waitFor({ state: 'detached' });
    assert.equal(await page.getByRole('link', { name: 'openssl', exact: true }).count(), 1);
    await page.getByRole('button', { name: /Installed on/ }).click();
    await page.waitForURL(/sort=hosts/);
    await screenshot(page, 'fleet-packages-security');

    await page.getByRole('link', { name: 'openssl', exact: true }).click();
    await page.getByRole('heading', { name: 'openssl', level: 1 }).waitFor();
    const webRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'web-01' }) });
    await webRow.getByText('Security update').waitFor();
    await webRow.getByText('3.0.13-0ubuntu3.4').waitFor();
    const dbRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'db-01' }) });
    await dbRow.getByText('Up to date').waitFor();
    assert.equal(await page.getByRole('link', { name: 'web-01' }).getAttribute('href'), `/hosts/${hosts.web}`);
    await screenshot(page, 'fleet-package-detail');

    // The host links lead to the host pages.
    await page.getByRole('link', { name: 'web-01' }).click();
    await page.waitForURL(new RegExp(`/hosts/${hosts.web}$`));
    await page.getByRole('heading', { name: 'web-01', level: 1 }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: 'openssl', level: 1 }).waitFor();
  });

  h.test('repositories list secure and insecure sources with the hosts using them', async () => {
    const { page } = h;
    await page.goto('/repositories');
    const sec = page.getByRole('row').filter({ hasText: 'ubuntu-security' });
    await sec.getByText('Secure', { exact: true }).waitFor();
    const plain = page.getByRole('row').filter({ hasText: 'archive.ubuntu.com' });
    await plain.getByText('Insecure').waitFor();
    await screenshot(page, 'fleet-repositories');
    await page.getByRole('link', { name: 'ubuntu', exact: true }).click();
    await page.getByRole('heading', { name: 'ubuntu', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'db-01' }).waitFor();
    await page.getByRole('link', { name: 'web-01' }).waitFor();
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('ubuntu is disabled.').waitFor();
    await screenshot(page, 'fleet-repository-detail');
  });

  h.test('the package status exports as CSV', async () => {
    const { page } = h;
    await page.goto('/packages');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^patchmon-packages-\d{8}-\d{6}\.csv$/);
    const path = await download.path();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.equal(lines[0], 'host_id,host,hostname,ip,os_type,os_version,package,category,current_version,available_version,needs_update,is_security_update,source_repository');
    assert.equal(lines.length, 1 + 6, lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith(`${hosts.web},web-01,`) && l.includes(',openssl,') && l.endsWith(',true,true,')), lines.join('\n'));
  });

  h.test('deleting a group first shows the hosts it affects', async () => {
    const { page } = h;
    await page.goto('/host-groups');
    await page.getByRole('button', { name: 'Delete Production' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Production?' });
    await dialog.getByText('This host leaves the group').waitFor();
    await dialog.getByRole('link', { name: 'app-01' }).waitFor();
    await screenshot(page, 'fleet-group-delete');
    await dialog.getByRole('button', { name: 'Delete group' }).click();
    await page.getByText('Production is deleted; 1 host left the group.').waitFor();
    await page.getByText('No host groups yet.').waitFor();
    const pkgs = await apiCall(h.url, 'GET', '/packages?search=openssl', { token });
    assert.equal(pkgs.packages[0].hosts_count, 3, 'the hosts stay');
    assert.deepEqual(h.page.scriptErrors, []);
  });
});
