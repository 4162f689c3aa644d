// @ts-check
// Steps the browser tests share: creating accounts through the API, signing in through
// the login page, and calling the API as a user from the test process.
import assert from 'node:assert/strict';

/** Satisfies the default password policy (length, upper, lower, number, special). */
export const ADMIN = {
  username: 'admin',
  email: 'admin@example.com',
  firstName: 'Ada',
  lastName: 'Admin',
  password: 'Adm1n!Passw0rd',
};

/**
 * Calls the API from the test process. With a token it authenticates as that user
 * (Bearer, so no CSRF check applies); JSON in, JSON out.
 * @param {string} baseUrl
 * @param {string} method
 * @param {string} path under /api/v1, e.g. /auth/profile
 * @param {{ token?: string, body?: unknown, expect?: number }} [options] expect: the status required (default 2xx)
 * @returns {Promise<any>}
 */
export async function apiCall(baseUrl, method, path, { token, body, expect } = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (expect !== undefined) {
    assert.equal(res.status, expect, `${method} ${path}: ${text}`);
  } else {
    assert.ok(res.ok, `${method} ${path} answered ${res.status}: ${text}`);
  }
  return json;
}

/**
 * Creates the first administrator through the API and returns its access token.
 * @param {string} baseUrl
 * @param {typeof ADMIN} [admin]
 */
export async function setupAdmin(baseUrl, admin = ADMIN) {
  const result = await apiCall(baseUrl, 'POST', '/auth/setup-admin', { body: admin, expect: 201 });
  return /** @type {string} */ (result.token);
}

/**
 * Signs in through the API (no second factor) and returns the access token.
 * @param {string} baseUrl
 * @param {{ username: string, password: string }} credentials
 */
export async function apiLogin(baseUrl, { username, password }) {
  const result = await apiCall(baseUrl, 'POST', '/auth/login', { body: { username, password } });
  assert.equal(result.requiresTfa, false, 'apiLogin cannot answer a 2FA challenge');
  return /** @type {string} */ (result.token);
}

/**
 * Fills in and submits the login page's password form (the page must show it).
 * @param {import('playwright-core').Page} page
 * @param {{ username: string, password: string }} credentials
 */
export async function submitLogin(page, { username, password }) {
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * Opens the login page, signs in and waits for the dashboard shell.
 * @param {import('playwright-core').Page} page
 * @param {{ username: string, password: string }} credentials
 */
export async function signIn(page, credentials) {
  await page.goto('/login');
  await submitLogin(page, credentials);
  await page.getByRole('button', { name: /^Account menu for / }).waitFor();
}

/**
 * Signs out through the user menu and waits for the login page.
 * @param {import('playwright-core').Page} page
 */
export async function signOut(page) {
  await page.getByRole('button', { name: /^Account menu for / }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You have signed out.').waitFor();
}

/**
 * The sidebar's link names, in order.
 * @param {import('playwright-core').Page} page
 */
export async function navLinks(page) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
}
