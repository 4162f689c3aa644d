import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// schema.d.ts is generated from the OpenAPI document and committed; it must match the
// document, or the dashboard compiles against an API that no longer exists.
describe('generated API types', () => {
  it('are up to date with openapi/patchmon.yaml (run `npm run gen:api`)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-schema-'));
    try {
      const out = join(dir, 'schema.d.ts');
      const bin = resolve(__dirname, '../../node_modules/.bin/openapi-typescript');
      execFileSync(bin, [resolve(__dirname, '../../../openapi/patchmon.yaml'), '--output', out], { stdio: 'pipe' });
      const fresh = readFileSync(out, 'utf8');
      const committed = readFileSync(resolve(__dirname, 'schema.d.ts'), 'utf8');
      expect(committed === fresh, 'src/api/schema.d.ts is stale: run `make generate`').toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
