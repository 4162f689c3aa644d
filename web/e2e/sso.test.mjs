// @ts-check
// Single sign-on in a real browser: the server discovers a real OpenID provider (zitadel's
// example OP, built by `make test-e2e`), the login page offers the configured SSO button,
// and signing in at the provider lands on the dashboard as an auto-created user.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, after, describe } from 'node:test';
import { ADMIN, apiCall, apiLogin, setupAdmin } from './flows.mjs';
import { freePort, repoRoot, screenshot, screenshotDir, useHarness } from './harness.mjs';

const opBinary = resolve(repoRoot, process.env.PATCHMON_E2E_OIDC_OP ?? 'bin/oidc-op/server');
const opPort = await freePort();
const serverPort = await freePort();
// The example OP names its issuer after "localhost" and derives its demo user's login from it.
const issuer = `http://localhost:${opPort}/`;
const opUser = { username: 'test-user@localhost', password: 'verysecure', name: 'Test User', email: 'test-user@zitadel.ch' };
const BUTTON = 'Sign in with Example SSO';

/** @type {import('node:child_process').ChildProcess | undefined} */
let op;

describe('single sign-on', () => {
  // Registered before the harness's hooks, so the provider is up when the server starts
  // and runs OIDC discovery.
  before(async () => {
    if (!existsSync(opBinary)) {
      throw new Error(`${opBinary} does not exist: make test-e2e builds it (go install github.com/zitadel/oidc/v3/example/server@v3.52.0)`);
    }
    mkdirSync(screenshotDir, { recursive: true });
    const log = createWriteStream(join(screenshotDir, 'sso.op.log'));
    op = spawn(opBinary, [], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        PORT: String(opPort),
        REDIRECT_URI: `http://127.0.0.1:${serverPort}/api/v1/auth/oidc/callback`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    op.stdout?.pipe(log);
    op.stderr?.pipe(log);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const res = await fetch(`${issuer}.well-known/openid-configuration`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error('the example OpenID provider did not start; see screenshots/sso.op.log');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(() => {
    op?.kill('SIGTERM');
  });

  const h = useHarness({
    name: 'sso',
    port: serverPort,
    env: {
      NODE_ENV: 'development', // plain HTTP on the OIDC routes
      OIDC_ENABLED: 'true',
      OIDC_ISSUER_URL: issuer,
      OIDC_CLIENT_ID: 'web',
      OIDC_CLIENT_SECRET: 'secret',
      OIDC_REDIRECT_URI: `http://127.0.0.1:${serverPort}/api/v1/auth/oidc/callback`,
      OIDC_SCOPES: 'openid email profile',
      OIDC_AUTO_CREATE_USERS: 'true',
      OIDC_DEFAULT_ROLE: 'readonly',
      OIDC_BUTTON_TEXT: BUTTON,
    },
  });

  h.test('the login page offers the configured SSO button next to the password form', async () => {
    await setupAdmin(h.url);
    const { page } = h;
    await page.goto('/login');
    await page.getByRole('link', { name: BUTTON }).waitFor();
    await page.getByLabel('Username or email').waitFor();
    await screenshot(page, 'sso-login');
  });

  h.test('signing in at the provider creates the user and lands on the dashboard', async () => {
    const { page } = h;
    await page.getByRole('link', { name: BUTTON }).click();
    // The provider's own login form.
    await page.waitForURL((u) => u.host === `localhost:${opPort}`);
    await page.locator('#username').fill(opUser.username);
    await page.locator('#password').fill(opUser.password);
    await screenshot(page, 'sso-provider');
    await page.getByRole('button', { name: 'Login' }).click();

    await page.getByRole('button', { name: `Account menu for ${opUser.name}` }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    await page.getByRole('button', { name: `Account menu for ${opUser.name}` }).click();
    await page.getByText(opUser.email).waitFor();
    await page.getByText('Role: readonly').waitFor();
    await screenshot(page, 'sso-dashboard');

    // The account exists server-side with the provider's names and the default SSO role.
    const token = await apiLogin(h.url, ADMIN);
    const users = await apiCall(h.url, 'GET', '/auth/admin/users', { token });
    const sso = users.users.find((/** @type {any} */ u) => u.email === opUser.email);
    assert.ok(sso, `no user with ${opUser.email} in ${JSON.stringify(users.users)}`);
    assert.equal(sso.role, 'readonly');
    assert.equal(sso.firstName, 'Test');
    assert.equal(sso.lastName, 'User');
    assert.deepEqual(page.scriptErrors, []);
  });
});
