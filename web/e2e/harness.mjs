// @ts-check
// Browser test harness: a real patchmon-server (embedded PostgreSQL in a throwaway data
// directory) and Debian's headless Chromium driven by playwright-core. It builds nothing:
// `make test` (or the commands in web/README.md) builds bin/patchmon-server and
// web/dist/app first.
//
// Each test file calls useHarness() once inside its top-level describe(); that starts a
// server and a browser before the file's tests and stops both after them, also when a
// test fails. (Node 20 runs top-level before() hooks around every test, hence describe.)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
export const screenshotDir = join(here, 'screenshots');

const serverBinary = resolve(repoRoot, process.env.PATCHMON_E2E_SERVER ?? 'bin/patchmon-server');
const chromiumPath = process.env.PATCHMON_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** How long the server may take to answer /health: initdb plus migrations on a slow machine. */
const STARTUP_TIMEOUT_MS = 120_000;
/** How long a stopping server may take before it is killed. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/** @returns {Promise<number>} a TCP port nothing listens on right now */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * @typedef {object} RunningServer
 * @property {string} url base URL, e.g. http://127.0.0.1:41234
 * @property {number} port
 * @property {string} logPath where the server's stdout and stderr go
 * @property {() => Promise<number | null>} stop SIGTERM, wait (kill after a timeout), remove
 *   the data; resolves to the server's exit code
 */

/** Servers still running, stopped by the exit handler if the test process dies early. */
const running = new Set();
process.once('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

/**
 * Starts bin/patchmon-server on a free port with a fresh embedded PostgreSQL data directory
 * and waits until /health answers.
 * @param {{ name: string, env?: Record<string, string>, port?: number }} options name labels
 *   the log file; port is chosen free when absent
 * @returns {Promise<RunningServer>}
 */
export async function startServer({ name, env = {}, port: wantPort }) {
  if (!existsSync(serverBinary)) {
    throw new Error(`${serverBinary} does not exist: build it first (go build -o bin/patchmon-server ./cmd/patchmon-server)`);
  }
  const index = join(repoRoot, 'web/dist/app/index.html');
  if (!existsSync(index)) {
    throw new Error('web/dist/app is not built: run `npm run build` in web/ first');
  }
  // The server embeds web/dist when it is compiled: a dashboard built later is not in it.
  if (statSync(index).mtimeMs > statSync(serverBinary).mtimeMs) {
    throw new Error(`${serverBinary} is older than web/dist/app: rebuild the server after the dashboard, since it embeds it`);
  }

  // Run as root, the embedded cluster runs as the postgres user, which must be able to
  // traverse every directory above its data: 0711 lets it through without listing.
  const base = mkdtempSync(join(tmpdir(), 'patchmon-e2e-'));
  chmodSync(base, 0o711);
  const dataDir = join(base, 'data');

  mkdirSync(screenshotDir, { recursive: true });
  const logPath = join(screenshotDir, `${name}.server.log`);
  const log = createWriteStream(logPath);

  const port = wantPort ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(serverBinary, [], {
    // The working directory is the throwaway one so that no stray .env is read.
    cwd: base,
    env: {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: base,
      TZ: 'UTC',
      PORT: String(port),
      HOST: '127.0.0.1',
      PATCHMON_DATA_DIR: dataDir,
      JWT_SECRET: randomBytes(32).toString('hex'),
      CORS_ORIGIN: url,
      SERVER_HOST: '127.0.0.1',
      SERVER_PORT: String(port),
      LOG_LEVEL: 'debug',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  /** @type {string[]} */
  const tail = [];
  const remember = (/** @type {Buffer} */ chunk) => {
    log.write(chunk);
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout.on('data', remember);
  child.stderr.on('data', remember);

  /** @type {Promise<number | null>} */
  const exited = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolveExit(code ?? (signal ? 128 : null));
    });
  });
  let exitCode = /** @type {number | null | undefined} */ (undefined);
  void exited.then((code) => {
    exitCode = code;
  });

  /** @type {Promise<number | null> | null} */
  let stopping = null;
  const stop = () =>
    (stopping ??= (async () => {
      if (exitCode === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      await new Promise((resolveEnd) => log.end(resolveEnd));
      rmSync(base, { recursive: true, force: true });
      return /** @type {number | null} */ (exitCode ?? null);
    })());

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (exitCode !== undefined) {
      await stop();
      throw new Error(`patchmon-server exited with ${exitCode} before it was ready:\n${tail.join('\n')}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`patchmon-server did not answer /health within ${STARTUP_TIMEOUT_MS / 1000}s:\n${tail.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return { url, port, logPath, stop };
}

/**
 * Launches Debian's Chromium headless with a fresh profile. Never downloads a browser.
 * @param {string} baseURL
 * @returns {Promise<{ context: import('playwright-core').BrowserContext, close: () => Promise<void> }>}
 */
export async function launchBrowser(baseURL) {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} does not exist: install Debian's Chromium (apt-get install -y chromium)`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'patchmon-chromium-'));
  // A persistent context is how playwright accepts an explicit --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    baseURL,
    viewport: { width: 1280, height: 800 },
    locale: 'en-GB',
    timezoneId: 'UTC',
    colorScheme: 'light',
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A page that records uncaught script errors, so a test can assert there were none.
 * @param {import('playwright-core').BrowserContext} context
 */
export async function newPage(context) {
  // A persistent context opens with one blank tab; use it rather than leaving it around.
  const blank = context.pages().find((p) => p.url() === 'about:blank' && !(/** @type {any} */ (p).scriptErrors));
  const page = blank ?? (await context.newPage());
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.stack ?? err.message));
  return Object.assign(page, { scriptErrors: errors });
}

/**
 * Saves a full-page screenshot as web/e2e/screenshots/NAME.png (git-ignored) for review.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  // Sticky headers land mid-picture in a full-page capture of a scrolled page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * @typedef {object} Harness
 * @property {RunningServer} server
 * @property {import('playwright-core').BrowserContext} context
 * @property {import('playwright-core').Page & { scriptErrors: string[] }} page
 * @property {string} url
 * @property {() => Promise<{ context: import('playwright-core').BrowserContext, page: import('playwright-core').Page & { scriptErrors: string[] } }>} secondBrowser
 *   another browser with its own profile (a second user), closed with the harness
 * @property {(name: string, fn: () => Promise<void>) => void} test
 *   node:test's test(), plus a screenshot of every open page when it fails
 *   (screenshots/FAILED-<file>-<test>-<n>.png)
 */

/** @param {string} name */
function slug(name) {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

/**
 * Registers before/after hooks in the calling describe() block: a server and a browser for the
 * file's tests, stopped afterwards whatever happened. The returned object is filled in
 * by the time the first test runs.
 * @param {{ name: string, env?: Record<string, string>, port?: number }} options name labels
 *   the server log (screenshots/NAME.server.log); env adds to the server's environment; port
 *   fixes the server's port (for settings that must name it in advance)
 * @returns {Harness}
 */
export function useHarness({ name, env, port }) {
  const h = /** @type {Harness} */ ({});
  /** @type {(() => Promise<void>)[]} */
  const closers = [];
  /** @type {import('playwright-core').BrowserContext[]} */
  const contexts = [];

  h.test = (testName, fn) =>
    test(testName, async () => {
      try {
        await fn();
      } catch (err) {
        let n = 0;
        for (const context of contexts) {
          for (const page of context.pages()) {
            await screenshot(page, `FAILED-${name}-${slug(testName)}-${++n}`).catch(() => undefined);
          }
        }
        throw err;
      }
    });

  before(async () => {
    // Failure pictures of an earlier run of this file would pass for this run's.
    mkdirSync(screenshotDir, { recursive: true });
    for (const file of readdirSync(screenshotDir)) {
      if (file.startsWith(`FAILED-${name}-`)) rmSync(join(screenshotDir, file), { force: true });
    }
    h.server = await startServer({ name, env, port });
    const server = h.server;
    closers.push(async () => {
      // A graceful shutdown is part of what is tested: SIGTERM must end the server cleanly.
      const code = await server.stop();
      if (code !== 0) throw new Error(`patchmon-server exited with ${code} after SIGTERM; see ${server.logPath}`);
    });
    h.url = h.server.url;
    const browser = await launchBrowser(h.url);
    closers.unshift(browser.close);
    h.context = browser.context;
    contexts.push(h.context);
    h.page = await newPage(h.context);
    h.secondBrowser = async () => {
      const other = await launchBrowser(h.url);
      closers.unshift(other.close);
      contexts.push(other.context);
      return { context: other.context, page: await newPage(other.context) };
    };
  });

  after(async () => {
    // Browsers first, then the server; each step runs even if an earlier one failed.
    /** @type {unknown[]} */
    const failures = [];
    for (const close of closers) {
      try {
        await close();
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
  });

  return h;
}
