// @ts-check
// The first page load must stay light: the JavaScript that index.html loads before any
// lazy page chunk (the entry and everything it imports statically) stays under 250 KB
// gzipped. Reads the built web/dist/app; needs no server or browser.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { repoRoot } from './harness.mjs';

const BUDGET_BYTES = 250 * 1024;
const dist = join(repoRoot, 'web/dist/app');

/**
 * The entry chunk named by index.html and every chunk reachable from it through static
 * imports (dynamic import() calls are the lazy pages and do not count).
 * @returns {string[]} paths relative to dist
 */
function initialChunks() {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const entry = html.match(/<script type="module"[^>]*src="\/([^"]+\.js)"/)?.[1];
  assert.ok(entry, 'index.html has no module script');
  const seen = new Set();
  /** @param {string} file */
  const walk = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(dist, file), 'utf8');
    for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^'"()]*?from\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g)) {
      walk(posix.join(posix.dirname(file), /** @type {string} */ (m[1])));
    }
  };
  walk(entry);
  return [...seen];
}

describe('bundle size', () => {
  test('the initial JavaScript is under 250 KB gzipped', () => {
    assert.ok(existsSync(join(dist, 'index.html')), 'web/dist/app is not built: run `npm run build` first');
    const chunks = initialChunks();
    const sizes = chunks.map((file) => ({ file, gzip: gzipSync(readFileSync(join(dist, file)), { level: 9 }).length }));
    const total = sizes.reduce((sum, s) => sum + s.gzip, 0);
    const report = sizes.map((s) => `${s.file} ${(s.gzip / 1024).toFixed(1)} KB`).join(', ');
    console.log(`initial JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (${report})`);
    assert.ok(chunks.some((f) => f.includes('react')), `the React chunk is part of the first load: ${report}`);
    assert.ok(total < BUDGET_BYTES, `initial JavaScript is ${(total / 1024).toFixed(1)} KB gzipped, over the 250 KB budget: ${report}`);
  });
});
