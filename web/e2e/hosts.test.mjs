// @ts-check
// Hosts in the browser, end to end with the real agent: an administrator adds a host in
// the wizard, the agent binary (bin/patchmon-agent, built by `make test-e2e`) is set up
// with the credentials the wizard shows and reports this machine's packages, the waiting
// screen turns green from the live event stream, and the host is then found in the list
// with its packages, all without reloading the page.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe } from 'node:test';
import { promisify } from 'node:util';
import { ADMIN, apiCall, setupAdmin, signIn } from './flows.mjs';
import { repoRoot, screenshot, screenshotDir, useHarness } from './harness.mjs';

const agentBinary = resolve(repoRoot, process.env.PATCHMON_E2E_AGENT ?? 'bin/patchmon-agent');
const run = promisify(execFile);

describe('hosts', () => {
  const h = useHarness({ name: 'hosts' });
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let agent;
  /** @type {string} */
  let agentDir = '';
  /** The API key the wizard showed. */
  let firstKey = '';

  before(async () => {
    if (!existsSync(agentBinary)) {
      throw new Error(`${agentBinary} does not exist: build it first (make test-e2e, or go build -o bin/patchmon-agent ./cmd/patchmon-agent)`);
    }
    const token = await setupAdmin(h.url);
    // Another host that never reports, so that the list has something to filter out.
    await apiCall(h.url, 'POST', '/hosts', { token, body: { friendly_name: 'e2e-db-02' }, expect: 201 });
    await signIn(h.page, ADMIN);
  });

  after(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent?.once('exit', r));
      agent.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (agent.exitCode === null) agent.kill('SIGKILL');
    }
    if (agentDir) rmSync(agentDir, { recursive: true, force: true });
  });

  h.test('a host added in the wizard reports through the real agent and shows up live', async () => {
    const { page } = h;
    await page.goto('/hosts');
    await page.getByRole('link', { name: 'e2e-db-02' }).waitFor();
    await screenshot(page, 'hosts-list-pending');

    // The wizard: details, then the one-liner and the waiting screen.
    await page.getByRole('link', { name: 'Add host' }).click();
    await page.waitForURL(/\/hosts\/new$/);
    await page.getByLabel('Friendly name').fill('e2e-web-01');
    await screenshot(page, 'hosts-add-details');
    await page.getByRole('button', { name: 'Create host' }).click();

    const command = page.getByTestId('install-command');
    await command.waitFor();
    const apiId = ((await page.getByTestId('api-id').textContent()) ?? '').trim();
    const apiKey = ((await page.getByTestId('api-key').textContent()) ?? '').trim();
    assert.match(apiId, /^patchmon_[0-9a-f]{16}$/);
    assert.match(apiKey, /^[0-9a-f]{64}$/);
    firstKey = apiKey;
    const plain = (await command.textContent()) ?? '';
    assert.equal(plain, `curl -s '${h.url}/api/v1/hosts/install' -H 'X-API-ID: ${apiId}' -H 'X-API-KEY: ${apiKey}' | sudo sh`);
    await page.getByLabel('Force install (bypass broken packages)').check();
    assert.match((await command.textContent()) ?? '', /\/api\/v1\/hosts\/install\?force=true' /);
    await page.getByLabel('Ignore self-signed certificate').check();
    assert.match((await command.textContent()) ?? '', /^curl -sk '.*\/install\?force=true&insecure=true' /);
    await page.getByRole('button', { name: 'Copy command' }).waitFor();
    const arrival = page.getByTestId('arrival');
    assert.equal(await arrival.getAttribute('data-state'), 'waiting');
    await page.getByText('Waiting for the agent to connect…').waitFor();
    await screenshot(page, 'hosts-add-waiting');

    // Anything from here on must arrive without a reload: this marker would be lost.
    await page.evaluate(() => {
      /** @type {any} */ (window).__sameDocument = true;
    });

    // The real agent, configured with what the wizard showed.
    agentDir = mkdtempSync(join(tmpdir(), 'patchmon-e2e-agent-'));
    const config = join(agentDir, 'config.yml');
    const setup = await run(agentBinary, ['--config', config, 'config', 'set-api', apiId, apiKey, h.url], { timeout: 60_000 });
    assert.match(setup.stdout, /Connectivity test successful/);
    // Never refresh the package manager's cache: the test reads what is installed.
    appendFileSync(config, 'package_cache_refresh_mode: never\n');
    const log = createWriteStream(join(screenshotDir, 'hosts.agent.log'));
    agent = spawn(agentBinary, ['--config', config, '--log-level', 'debug', 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout?.pipe(log);
    agent.stderr?.pipe(log);

    await page.locator('[data-testid="arrival"][data-state="reported"]').waitFor({ timeout: 120_000 });
    await page.getByText('e2e-web-01 is reporting').waitFor();
    const summary = (await arrival.textContent()) ?? '';
    const packages = Number(/first report arrived with (\d+) package/.exec(summary)?.[1]);
    assert.ok(packages > 0, `the report carried packages: ${summary}`);
    await screenshot(page, 'hosts-add-reported');

    // The list (reached in the app, not by loading a URL) shows the host active.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Hosts' }).click();
    await page.waitForURL(/\/hosts$/);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'e2e-web-01' }) });
    await row.getByTestId('host-status').filter({ hasText: 'Active' }).waitFor();
    await row.getByText('Connected').waitFor({ timeout: 30_000 });

    // Filters and search narrow the list on the server.
    await page.getByRole('combobox', { name: 'Status' }).selectOption('active');
    await page.waitForURL(/status=active/);
    await page.getByRole('link', { name: 'e2e-db-02' }).waitFor({ state: 'detached' });
    await page.getByLabel('Search').fill('e2e-web');
    await page.waitForURL(/search=e2e-web/);
    await page.getByText('1–1 of 1').waitFor();
    await screenshot(page, 'hosts-list-filtered');

    // The host's page and its packages, security updates first.
    await page.getByRole('link', { name: 'e2e-web-01' }).click();
    await page.getByRole('heading', { name: 'e2e-web-01', level: 1 }).waitFor();
    await page.getByTestId('host-status').filter({ hasText: 'Active' }).waitFor();
    await screenshot(page, 'hosts-detail-overview');
    await page.getByRole('tab', { name: /^Packages/ }).click();
    const table = page.getByTestId('packages-table');
    await table.waitFor();
    const rows = await table.locator('tbody tr').count();
    assert.ok(rows > 0, 'the packages tab lists packages');
    await page.getByText(new RegExp(`^${packages} packages$`)).waitFor();
    await screenshot(page, 'hosts-detail-packages');
    await page.getByLabel('Search packages').fill('zzz-no-such-package');
    await page.getByText('No package matches.').waitFor();

    await page.getByRole('tab', { name: 'System' }).click();
    await page.getByText('Running kernel').waitFor();
    await screenshot(page, 'hosts-detail-system');

    // An update interval of the host's own, shown on the agent tab.
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByLabel('Own update interval').check();
    await page.getByLabel('Update interval (minutes)').fill('30');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('e2e-web-01 was saved.').waitFor();
    await page.getByRole('tab', { name: 'Agent' }).click();
    await page.getByText('30 minutes (this host’s own)').waitFor();
    // The host's job history (its agent queue) is on the same tab for administrators.
    await page.getByRole('heading', { name: 'Job history' }).waitFor();
    await page.getByText('No job has run for this host yet.').waitFor();

    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__sameDocument), true, 'the page was never reloaded');
    assert.deepEqual(page.scriptErrors, []);
  });

  h.test('notes, re-keying and deletion from the host page', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Hosts' }).click();
    await page.getByRole('link', { name: 'e2e-web-01' }).click();
    await page.getByRole('heading', { name: 'e2e-web-01', level: 1 }).waitFor();

    await page.getByRole('tab', { name: 'Notes' }).click();
    await page.getByRole('textbox', { name: 'Notes' }).fill('Patch on Sundays after 22:00.');
    await page.getByRole('button', { name: 'Save notes' }).click();
    await page.getByText('Notes saved.').waitFor();

    // Re-keying shows the new one-liner and drops the agent's connection at once.
    await page.getByRole('tab', { name: 'Agent' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Agent' });
    await panel.getByText('Connected', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Regenerate credentials' }).click();
    const confirm = page.getByRole('dialog', { name: 'Regenerate the credentials of e2e-web-01?' });
    await confirm.getByRole('button', { name: 'Regenerate' }).click();
    const creds = page.getByRole('dialog', { name: 'New credentials' });
    const command = (await creds.getByTestId('install-command').textContent()) ?? '';
    const newKey = ((await creds.getByTestId('api-key').textContent()) ?? '').trim();
    assert.match(newKey, /^[0-9a-f]{64}$/);
    assert.notEqual(newKey, firstKey);
    assert.ok(command.includes(`X-API-KEY: ${newKey}`), command);
    await screenshot(page, 'hosts-regenerated');
    await creds.getByRole('button', { name: 'Done' }).click();
    await panel.getByText('Not connected', { exact: true }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTitle('The agent is connected now').count(), 0);

    // Deleting asks first, then the host is gone from the list.
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const del = page.getByRole('dialog', { name: 'Delete e2e-web-01?' });
    await screenshot(page, 'hosts-delete-confirm');
    await del.getByRole('button', { name: 'Delete host' }).click();
    await page.waitForURL(/\/hosts(\?.*)?$/);
    await page.getByText('e2e-web-01 was deleted.').waitFor();
    await page.getByRole('link', { name: 'e2e-db-02' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'e2e-web-01' }).count(), 0);
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__sameDocument), true, 'the page was never reloaded');
    assert.deepEqual(page.scriptErrors, []);
  });
});
