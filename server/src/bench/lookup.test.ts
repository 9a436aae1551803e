/**
 * The lookup benchmark still runs end to end (a tiny catalogue and membership passed explicitly, the
 * defaults being issue #5's 10,000 items and 1,000,000 members; a few requests): it seeds its own
 * database, serves the four lookups (barcode, search, member code, phone) through HTTP and both floors,
 * and every answer is a 200. The figures themselves are not asserted (speed is read from
 * `pnpm jifen bench lookup`, beside its floors).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mysqlBaseUrl, testDialect } from '../test-support/db.js';
import { benchLookup } from './lookup.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-lookup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pnpm jifen bench lookup', () => {
  it('measures the scan, the search and the member lookups by code and by phone beside both floors, with no failed request', async () => {
    const base = new URL(mysqlBaseUrl());
    base.pathname = `/${base.pathname.replace(/^\//, '') || 'jifen_test'}_lk${randomBytes(3).toString('hex')}`;
    vi.stubEnv('DATABASE_URL', testDialect() === 'mysql' ? base.toString() : `sqlite:${join(dir, 'jifen.sqlite')}`);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
    const progress = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const code = await benchLookup(['--products', '30', '--members', '20', '--requests', '24', '--concurrency', '4']);
      expect(code, lines.join('\n')).toBe(0);
    } finally {
      log.mockRestore();
      progress.mockRestore();
      vi.unstubAllEnvs();
    }
    const text = lines.join('\n');
    for (const kind of ['product by barcode', 'product search', 'member by code', 'member by phone']) expect(text).toContain(kind);
    expect(text.match(/\(24 ops, 0 errors\)/g)).toHaveLength(12);
    expect(text).toMatch(/seeded 30 products in [\d.]+ s and 20 members/);
    expect(text).toMatch(/product by barcode p99 [\d.]+ ms: (met|NOT met)/);
    expect(text).toMatch(/member by code p99 [\d.]+ ms: (met|NOT met)/);
  });
});
