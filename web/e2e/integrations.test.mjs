// @ts-check
// Settings → Integrations in the browser: an administrator creates an API credential with
// the scope picker, copies the one-time secret, and a script (fetch from Node, as curl or
// Ansible would) calls the Integration API with it; then a GetHomepage key, and disabling
// a credential takes effect at once.
import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import { ADMIN, apiCall, setupAdmin, signIn } from './flows.mjs';
import { screenshot, useHarness } from './harness.mjs';

/**
 * Calls the server with HTTP Basic credentials, the way integrations do.
 * @param {string} url
 * @param {string} authorization
 * @param {string} [method]
 */
async function basicCall(url, authorization, method = 'GET') {
  const res = await fetch(url, { method, headers: { Authorization: authorization, Accept: 'application/json' } });
  return { status: res.status, body: await res.json() };
}

describe('integrations settings', () => {
  const h = useHarness({ name: 'integrations' });
  /** @type {string} */
  let hostId;
  /** @type {string} */
  let apiAuth;

  before(async () => {
    const token = await setupAdmin(h.url);
    const host = await apiCall(h.url, 'POST', '/hosts', { token, body: { friendly_name: 'web-server-01' }, expect: 201 });
    hostId = host.hostId;
    await signIn(h.page, ADMIN);
  });

  h.test('an administrator creates an API token and a script uses it', async () => {
    const { page } = h;
    await page.goto('/settings');
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Integrations' }).click();
    await page.waitForURL(/\/settings\/integrations$/);
    await page.getByText('No tokens yet.').waitFor();
    await screenshot(page, 'integrations-empty');

    await page.getByRole('button', { name: 'New Token' }).click();
    const dialog = page.getByRole('dialog', { name: 'New Token' });
    await dialog.getByRole('radio', { name: 'API' }).check();
    await dialog.getByLabel('Token name').fill('Ansible Inventory');
    await dialog.getByLabel('host:get').check();
    await screenshot(page, 'integrations-new-api-token');
    await dialog.getByRole('button', { name: 'Create Token' }).click();

    const secret = page.getByRole('dialog', { name: 'API credential created' });
    await secret.waitFor();
    const key = (await secret.getByLabel('Token key').textContent())?.trim() ?? '';
    const value = (await secret.getByLabel('Token secret').textContent())?.trim() ?? '';
    assert.match(key, /^patchmon_ae_/);
    assert.ok(value.length >= 32, 'a long random secret');
    const curl = (await secret.getByLabel('Try it with curl').textContent()) ?? '';
    assert.equal(curl.trim(), `curl -u "${key}:${value}" ${h.url}/api/v1/api/hosts`);
    await secret.getByText('host:get').first().waitFor();
    await screenshot(page, 'integrations-api-secret');
    await secret.getByRole('button', { name: 'I have saved the secret' }).click();

    const row = page.getByRole('row').filter({ hasText: 'Ansible Inventory' });
    await row.getByText('Active').waitFor();
    await row.getByText('host:get').waitFor();
    assert.equal(await page.getByText(value).count(), 0, 'the secret is not shown again');
    await screenshot(page, 'integrations-list');

    apiAuth = 'Basic ' + Buffer.from(`${key}:${value}`).toString('base64');
    const list = await basicCall(`${h.url}/api/v1/api/hosts`, apiAuth);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.total, 1);
    assert.equal(list.body.hosts[0].id, hostId);
    assert.equal(list.body.hosts[0].friendly_name, 'web-server-01');
    assert.deepEqual(list.body.hosts[0].host_groups, []);

    const info = await basicCall(`${h.url}/api/v1/api/hosts/${hostId}/info`, apiAuth);
    assert.equal(info.status, 200);
    assert.equal(info.body.friendly_name, 'web-server-01');

    // host:get does not include delete.
    const del = await basicCall(`${h.url}/api/v1/api/hosts/${hostId}`, apiAuth, 'DELETE');
    assert.equal(del.status, 403);
    assert.deepEqual(del.body, {
      error: 'Access denied',
      message: 'This API key does not have permission to delete host',
      code: 'api_scope_no_permission',
    });

    // The list now shows when the credential was last used.
    await page.reload();
    await row.getByText('Active').waitFor();
    const lastUsed = (await row.getByRole('cell').nth(4).textContent())?.trim();
    assert.notEqual(lastUsed, 'Never', 'the calls above set last used');
    assert.equal((await row.getByRole('cell').nth(5).textContent())?.trim(), 'Never', 'no expiry');
  });

  h.test('a GetHomepage key comes with its widget configuration', async () => {
    const { page } = h;
    await page.getByRole('tab', { name: 'GetHomepage' }).click();
    await page.waitForURL(/tab=gethomepage/);
    await page.getByText('No GetHomepage keys yet.').waitFor();
    await page.getByRole('button', { name: 'New API Key' }).click();
    const dialog = page.getByRole('dialog', { name: 'New API Key' });
    await dialog.getByLabel('Token name').fill('GetHomepage Widget');
    await dialog.getByRole('button', { name: 'Create Token' }).click();

    const secret = page.getByRole('dialog', { name: 'GetHomepage credential created' });
    const yaml = (await secret.getByLabel('GetHomepage services.yml').textContent()) ?? '';
    assert.match(yaml, /type: customapi/);
    assert.ok(yaml.includes(`${h.url}/api/v1/gethomepage/stats`), yaml);
    await secret.getByRole('button', { name: 'Copy Config' }).waitFor();
    const b64 = ((await secret.getByLabel('Base64 encoded credentials').textContent()) ?? '').trim();
    assert.ok(yaml.includes(`Authorization: Basic ${b64}`), 'the YAML carries the credentials');
    await screenshot(page, 'integrations-gethomepage-secret');
    await secret.getByRole('button', { name: 'I have saved the secret' }).click();

    const stats = await basicCall(`${h.url}/api/v1/gethomepage/stats`, `Basic ${b64}`);
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.equal(stats.body.total_hosts, 0, 'the only host has not reported yet, so it is not active');
    assert.ok(Array.isArray(stats.body.os_distribution));
    const health = await basicCall(`${h.url}/api/v1/gethomepage/health`, `Basic ${b64}`);
    assert.equal(health.body.api_key, 'GetHomepage Widget');
    await page.getByRole('row').filter({ hasText: 'GetHomepage Widget' }).waitFor();
    await screenshot(page, 'integrations-gethomepage-list');
  });

  h.test('disabling a credential refuses it at once', async () => {
    const { page } = h;
    await page.getByRole('tab', { name: 'Auto-Enrollment & API' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Ansible Inventory' });
    await row.getByRole('button', { name: 'Actions for Ansible Inventory' }).click();
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('“Ansible Inventory” is disabled.').waitFor();
    await row.getByText('Disabled').waitFor();

    const refused = await basicCall(`${h.url}/api/v1/api/hosts`, apiAuth);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'API key is disabled');

    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'integrations-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(page.scriptErrors, []);
  });
});
