// @ts-check
// Alerts and jobs in the browser: an agent reports a security update and a pending reboot,
// the alerts appear on the Alerts page, an administrator acknowledges and resolves one (its
// history records both), tunes a type on the Configuration tab, and the Jobs page lists the
// background jobs' runs and starts one by hand.
import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import { ADMIN, apiCall, setupAdmin, signIn } from './flows.mjs';
import { screenshot, useHarness } from './harness.mjs';

/**
 * Sends a full agent report with the host's credentials, as the agent does.
 * @param {string} baseUrl
 * @param {{ apiId: string, apiKey: string }} creds
 */
async function report(baseUrl, creds) {
  const body = {
    packages: [
      { name: 'openssl', currentVersion: '3.0.11-1', availableVersion: '3.0.15-1', needsUpdate: true, isSecurityUpdate: true },
      { name: 'bash', currentVersion: '5.2.15-2', needsUpdate: false, isSecurityUpdate: false },
    ],
    repositories: [],
    osType: 'Debian',
    osVersion: '12',
    hostname: 'web-01.example.com',
    architecture: 'x86_64',
    agentVersion: '1.4.0',
    needsReboot: true,
    rebootReason: 'kernel update',
    packageManager: 'apt',
  };
  const res = await fetch(`${baseUrl}/api/v1/hosts/update`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-ID': creds.apiId, 'X-API-KEY': creds.apiKey },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.text());
}

describe('alerts and jobs', () => {
  const h = useHarness({ name: 'alerts', env: { HOST_STATUS_CHECK_INTERVAL: '5' } });

  before(async () => {
    const token = await setupAdmin(h.url);
    const host = await apiCall(h.url, 'POST', '/hosts', { token, body: { friendly_name: 'web-01' }, expect: 201 });
    await report(h.url, host);
    await signIn(h.page, ADMIN);
  });

  h.test('an alert raised by a report is acknowledged and resolved', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.waitForURL(/\/alerts$/);
    const link = page.getByRole('link', { name: 'Security updates available on web-01' });
    // The report event raises it at once; the host status monitor would within seconds too.
    await link.waitFor({ timeout: 30_000 });
    await page.getByRole('link', { name: 'Reboot required on web-01' }).waitFor();
    await screenshot(page, 'alerts-list');

    await page.getByLabel('Type').selectOption('reboot_required');
    await page.getByRole('link', { name: 'Security updates available on web-01' }).waitFor({ state: 'detached' });
    await page.getByLabel('Type').selectOption('');
    await link.click();
    await page.getByRole('heading', { name: 'Security updates available on web-01', level: 1 }).waitFor();
    await page.getByText('1 security update available').first().waitFor();
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByText('Alert acknowledged.').waitFor();
    await page.getByLabel('Assigned to').selectOption({ label: ADMIN.username });
    await page.getByText(`Assigned to ${ADMIN.username}.`).waitFor();
    await screenshot(page, 'alerts-detail-acknowledged');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByText('Alert resolved.').waitFor();
    const history = page.getByRole('list', { name: 'Alert history' });
    for (const action of ['Created', 'Acknowledged', 'Assigned', 'Resolved']) {
      await history.getByText(action, { exact: true }).waitFor();
    }
    await screenshot(page, 'alerts-detail-resolved');

    await page.getByRole('link', { name: '← Alerts' }).click();
    await page.getByRole('link', { name: 'Reboot required on web-01' }).waitFor();
    // Resolved alerts leave the unresolved list.
    await page.getByRole('link', { name: 'Security updates available on web-01' }).waitFor({ state: 'detached' });
    await page.getByLabel('Status').selectOption('resolved');
    await page.getByRole('link', { name: 'Security updates available on web-01' }).waitFor();
  });

  h.test('an administrator changes an alert type', async () => {
    const { page } = h;
    await page.goto('/alerts/config');
    await page.getByRole('button', { name: 'Edit Host down' }).click();
    const dialog = page.getByRole('dialog', { name: 'Host down alerts' });
    await dialog.getByLabel('Delay before firing (minutes)').fill('15');
    await dialog.getByLabel('Escalate after (minutes)').fill('');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Host down alerts updated.').waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Host down' });
    await row.getByText('15 min').waitFor();
    await row.getByText('never').waitFor();
    await screenshot(page, 'alerts-config');
  });

  h.test('the jobs page lists runs and runs a job now', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    await page.waitForURL(/\/jobs$/);
    const row = page.getByRole('row').filter({ hasText: 'session-cleanup' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Run session-cleanup now' }).click();
    await page.getByText('session-cleanup is queued').waitFor();
    await page.getByLabel('Job', { exact: true }).selectOption('session-cleanup');
    const runs = page.getByRole('table', { name: 'Job runs, newest first' });
    await runs.getByText(/deleted \d+ sessions/).first().waitFor({ timeout: 30_000 });
    await runs.getByText('run by hand').first().waitFor();
    await page.getByLabel('Job', { exact: true }).selectOption('');
    // The periodic host status monitor runs every few seconds here.
    await runs.getByText('host-status-monitor').first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'jobs');

    // River's own queue UI, behind the same session.
    await page.getByRole('link', { name: 'River queue dashboard' }).click();
    await page.waitForURL(/\/admin\/queues\//);
    await page.waitForFunction(() => document.title.includes('River'));
    await page.getByRole('link', { name: /^Completed/ }).click();
    await page.getByText('patchmon_job').first().waitFor();
    await screenshot(page, 'jobs-river-ui');
  });
});
