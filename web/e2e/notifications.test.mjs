// @ts-check
// Settings → Notifications and Scheduled Reports in the browser: an administrator adds a
// webhook destination pointing at a receiver this test runs, sends a test (the receiver
// checks the signature, the delivery log shows it delivered), adds a route, then
// schedules a report, runs it now and finds it in the run history.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe } from 'node:test';
import { ADMIN, setupAdmin, signIn } from './flows.mjs';
import { screenshot, useHarness } from './harness.mjs';

/** @typedef {{ headers: import('node:http').IncomingHttpHeaders, body: string }} Received */

/** A webhook receiver on 127.0.0.1 that records every request and answers 200. */
async function startReceiver() {
  /** @type {Received[]} */
  const received = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((r) => server.close(() => r(undefined))) };
}

describe('notifications and scheduled reports', () => {
  const h = useHarness({ name: 'notifications' });
  /** @type {Awaited<ReturnType<typeof startReceiver>>} */
  let receiver;
  let signingSecret = '';

  before(async () => {
    receiver = await startReceiver();
    await setupAdmin(h.url);
    await signIn(h.page, ADMIN);
  });
  after(async () => {
    await receiver?.close();
  });

  h.test('a webhook destination gets a signed test and the delivery log shows it', async () => {
    const { page } = h;
    await page.goto('/settings');
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Notifications' }).click();
    await page.waitForURL(/\/settings\/notifications$/);
    await page.getByText('No destinations yet.').waitFor();
    await screenshot(page, 'notifications-empty');

    await page.getByRole('button', { name: 'New destination' }).click();
    const dialog = page.getByRole('dialog', { name: 'New destination' });
    await dialog.getByLabel('Name').fill('E2E receiver');
    await dialog.getByLabel('URL').fill(receiver.url);
    await dialog.getByRole('button', { name: 'Generate' }).click();
    signingSecret = await dialog.getByLabel('Signing secret').inputValue();
    assert.match(signingSecret, /^[0-9a-f]{64}$/);
    await dialog.getByLabel('Extra headers').fill('X-Receiver-Token: e2e-header-secret');
    await screenshot(page, 'notifications-new-webhook');
    await dialog.getByRole('button', { name: 'Create destination' }).click();
    await page.getByText('“E2E receiver” is created. Send a test to check it.').waitFor();

    const row = page.getByRole('row').filter({ hasText: 'E2E receiver' });
    await row.getByText('Enabled').waitFor();
    assert.equal(await page.getByText(signingSecret).count(), 0, 'the secret is not shown again');
    await row.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('Test sent to “E2E receiver” (HTTP 200).').waitFor();
    await screenshot(page, 'notifications-test-sent');

    assert.equal(receiver.received.length, 1);
    const got = receiver.received[0];
    assert.equal(got.headers['x-patchmon-event'], 'test');
    assert.equal(got.headers['x-receiver-token'], 'e2e-header-secret');
    const ts = String(got.headers['x-patchmon-timestamp']);
    const expected = 'sha256=' + createHmac('sha256', signingSecret).update(`${ts}.${got.body}`).digest('hex');
    assert.equal(got.headers['x-patchmon-signature'], expected, 'the signature verifies with the secret');
    assert.equal(JSON.parse(got.body).event, 'test');

    // Editing keeps the secret: the form shows it is stored, masked.
    await row.getByRole('button', { name: 'Actions for E2E receiver' }).click();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('dialog', { name: 'Edit “E2E receiver”' });
    await edit.getByText('Stored: ••••••••. Leave empty to keep it.').first().waitFor();
    await edit.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('tab', { name: 'Delivery log' }).click();
    const log = page.getByRole('table', { name: 'Delivery log' });
    const entry = log.getByRole('row').filter({ hasText: 'PatchMon test notification' });
    await entry.getByText('Delivered').waitFor();
    await entry.getByText('HTTP 200').waitFor();
    await entry.getByRole('button', { name: '1 of 1' }).click();
    await page.getByRole('list', { name: 'Attempts of PatchMon test notification' }).getByText(/delivered · HTTP 200/).waitFor();
    await screenshot(page, 'notifications-delivery-log');

    await page.getByRole('tab', { name: 'Routes' }).click();
    await page.getByText('No routes yet.').waitFor();
    await page.getByRole('button', { name: 'New route' }).click();
    const route = page.getByRole('dialog', { name: 'New route' });
    await route.getByLabel('Name').fill('Critical host events');
    await route.getByLabel('Minimum severity').selectOption('critical');
    await route.getByLabel('E2E receiver (Webhook)').check();
    await route.getByLabel('Host down').check();
    await screenshot(page, 'notifications-new-route');
    await route.getByRole('button', { name: 'Create route' }).click();
    await page.getByText('Route “Critical host events” is saved.').waitFor();
    await page.getByText('Host down · Critical and above · every host').waitFor();
    await screenshot(page, 'notifications-routes');
  });

  h.test('a scheduled report runs now and shows in the history', async () => {
    const { page } = h;
    await page.getByRole('link', { name: 'Scheduled Reports' }).click();
    await page.waitForURL(/\/scheduled-reports$/);
    await page.getByText('No scheduled reports yet.').waitFor();
    await page.getByRole('button', { name: 'New schedule' }).click();
    const dialog = page.getByRole('dialog', { name: 'New scheduled report' });
    await dialog.getByLabel('Name').fill('Weekly fleet report');
    await dialog.getByLabel('Preset').selectOption('0 8 * * 1');
    await dialog.getByLabel('Format').selectOption('json');
    await dialog.getByLabel('E2E receiver (webhook)').check();
    await dialog.getByRole('region', { name: 'Next runs' }).getByRole('listitem').first().waitFor();
    assert.equal(await dialog.getByRole('region', { name: 'Next runs' }).getByRole('listitem').count(), 5);
    await screenshot(page, 'reports-new-schedule');
    await dialog.getByRole('button', { name: 'Create schedule' }).click();
    await page.getByText(/“Weekly fleet report” is saved\. Next run/).waitFor();

    const row = page.getByRole('row').filter({ hasText: 'Weekly fleet report' });
    await row.getByText('Every Monday at 08:00').waitFor();
    const before = receiver.received.length;
    await row.getByRole('button', { name: 'Run now' }).click();
    await page.getByText(/“Weekly fleet report” was sent to 1 destination/).waitFor();
    await row.getByText('Succeeded').waitFor();
    await screenshot(page, 'reports-list');

    assert.equal(receiver.received.length, before + 1);
    const payload = JSON.parse(receiver.received[before].body);
    assert.equal(payload.event, 'report');
    assert.equal(payload.title, 'PatchMon report: Weekly fleet report');
    assert.equal(payload.data.summary.hosts, 0);
    assert.equal(payload.attachments[0].filename.endsWith('.json'), true);

    await row.getByRole('button', { name: 'Actions for Weekly fleet report' }).click();
    await page.getByRole('button', { name: 'History', exact: true }).click();
    const history = page.getByRole('dialog', { name: 'History of “Weekly fleet report”' });
    const run = history.getByRole('row').filter({ hasText: 'Run now' });
    await run.getByText('Succeeded').waitFor();
    await screenshot(page, 'reports-history');
  });
});
