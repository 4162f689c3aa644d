// @ts-check
// Two-factor authentication: enrol from the profile with the QR code's secret, sign in
// with a TOTP code (computed here as an authenticator app would), remember the device,
// and use a backup code once.
import assert from 'node:assert/strict';
import { before, describe } from 'node:test';
import { ADMIN, setupAdmin, signIn, signOut, submitLogin } from './flows.mjs';
import { screenshot, useHarness } from './harness.mjs';
import { nextTotp, totp, totpCounter } from './totp.mjs';

describe('two-factor authentication', () => {
  const h = useHarness({ name: 'tfa' });
  const state = { secret: '', usedCounter: 0, backupCodes: /** @type {string[]} */ ([]) };

  before(async () => {
    await setupAdmin(h.url);
    await signIn(h.page, ADMIN);
  });

  h.test('enrolling shows a QR code, confirms with a code and shows the backup codes once', async () => {
    const { page } = h;
    await page.goto('/profile/security');
    await page.getByText('Two-factor authentication is off.').waitFor();
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();

    const qr = page.getByRole('img', { name: 'QR code to add PatchMon to your authenticator app' });
    await qr.waitFor();
    assert.ok(await qr.evaluate((img) => /** @type {HTMLImageElement} */ (img).naturalWidth > 0), 'the QR code image loads');
    state.secret = (await page.getByTestId('tfa-secret').innerText()).trim();
    assert.match(state.secret, /^[A-Z2-7]+=*$/);
    await screenshot(page, 'tfa-setup');

    // A wrong code is refused under the field.
    const code = page.getByLabel('Code from the app');
    const valid = totp(state.secret);
    await code.fill(valid === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();
    await page.getByText('Invalid code; check the time on your device and try again').waitFor();
    assert.equal(await code.getAttribute('aria-invalid'), 'true');

    state.usedCounter = totpCounter();
    await code.fill(totp(state.secret));
    await page.getByRole('button', { name: 'Turn on two-factor authentication' }).click();

    const list = page.getByRole('list', { name: 'Backup codes' });
    await list.waitFor();
    state.backupCodes = (await list.getByRole('listitem').allInnerTexts()).map((c) => c.trim());
    assert.equal(state.backupCodes.length, 10);
    await screenshot(page, 'tfa-backup-codes');

    await page.getByRole('button', { name: 'I have saved my codes' }).click();
    assert.equal(await list.count(), 0, 'the codes are shown only once');
    await page.getByText('Two-factor authentication is on.').waitFor();
    await page.getByText('Backup codes left').waitFor();
  });

  h.test('signing in asks for a code, refuses a wrong one and accepts the current one', async () => {
    const { page } = h;
    await signOut(page);
    await submitLogin(page, ADMIN);
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    await screenshot(page, 'login-tfa');

    const code = page.getByLabel('Authentication code');
    const current = totp(state.secret);
    await code.fill(current === '123456' ? '654321' : '123456');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Invalid two-factor code').waitFor();

    // The code used to enrol may not be replayed: wait for the next one, as a person would.
    const next = await nextTotp(state.secret, state.usedCounter);
    state.usedCounter = next.counter;
    await code.fill(next.code);
    await page.getByLabel('Remember this device').check();
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    assert.deepEqual(page.scriptErrors, []);
  });

  h.test('a remembered device skips the code and is listed with the sessions', async () => {
    const { page } = h;
    await signOut(page);
    await submitLogin(page, ADMIN);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();

    await page.goto('/profile/sessions');
    const devices = page.getByRole('list', { name: 'Trusted devices' });
    await devices.getByText('This browser').waitFor();
    assert.equal(await devices.getByRole('listitem').count(), 1);
    const sessions = page.getByRole('list', { name: 'Sessions' });
    await sessions.getByText('This browser').waitFor();
    await screenshot(page, 'profile-sessions');

    await page.getByRole('button', { name: /^Forget Chrome on Linux/ }).click();
    await page.getByText('No trusted devices.').waitFor();
  });

  h.test('a backup code signs in once on another browser', async () => {
    const other = await h.secondBrowser();
    const [backup] = state.backupCodes;
    assert.ok(backup);
    await other.page.goto('/login');
    await submitLogin(other.page, ADMIN);
    await other.page.getByLabel('Authentication code').fill(backup);
    await other.page.getByRole('button', { name: 'Verify' }).click();
    await other.page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();

    await signOut(other.page);
    await submitLogin(other.page, ADMIN);
    await other.page.getByLabel('Authentication code').fill(backup);
    await other.page.getByRole('button', { name: 'Verify' }).click();
    await other.page.getByText('Invalid two-factor code').waitFor();

    await other.page.getByRole('button', { name: 'Back to sign in' }).click();
    await other.page.getByRole('heading', { name: 'Sign in to PatchMon' }).waitFor();
  });

  h.test('turning 2FA off needs the password', async () => {
    const { page } = h;
    await page.goto('/profile/security');
    await page.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
    const dialog = page.getByRole('dialog', { name: 'Turn off two-factor authentication?' });
    await dialog.getByLabel('Your password').fill('Not!The0ne');
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await dialog.getByText('Password is incorrect').waitFor();
    await dialog.getByLabel('Your password').fill(ADMIN.password);
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).waitFor();
    assert.equal(await dialog.count(), 0);
  });
});
