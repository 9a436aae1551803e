/** `pnpm jifen import`, `retention` and `report-rollup`: progress on stderr, a summary on stdout. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli.js';
import { openDatabase } from '../db/connect.js';
import type { Db } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { createTestDb, testDialect } from '../test-support/db.js';
import { makeProgram } from '../test-support/fixtures.js';

let db: Db;
let dir: string;
let cleanup: () => Promise<void>;
const saved = { ...process.env };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jifen-report-cli-'));
  let url: string;
  if (testDialect() === 'sqlite') {
    // The CLI opens its own connection: SQLite needs a file both can see.
    url = `sqlite:${join(dir, 'cli.sqlite')}`;
    db = openDatabase(url);
    await migrateToLatest(db);
    cleanup = () => db.close();
  } else {
    const t = await createTestDb();
    url = t.url;
    db = t.db;
    cleanup = () => t.drop();
  }
  Object.assign(process.env, {
    DATABASE_URL: url,
    JIFEN_SECRET: 'test-secret-0123456789-0123456789-abcdef',
    JIFEN_DATA_KEY: 'test-data-key-0123456789-0123456789-abcdef',
  });
  await makeProgram(db, { code: 'JIFEN' });
});
afterAll(async () => {
  process.env = saved;
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const logs: string[] = [];
  const errs: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    errs.push(String(chunk));
    return true;
  });
  try {
    const code = await main(argv);
    return { code, out: logs.join('\n'), err: errs.join('') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe('pnpm jifen import', () => {
  const file = () => join(dir, 'members.csv');
  beforeAll(() => {
    writeFileSync(file(), 'externalId,phone,name,openingBalance\nC1,13500000001,甲,100\nC2,13500000002,乙,0\nC3,12,丙,5\n');
  });

  it('--dry-run: the bad rows on stderr with their lines, a summary, exit 1, nothing written', async () => {
    const r = await run('import', file(), '--dry-run');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^import \(dry run\) \d+: 3 rows, would create 2, linked 0, unchanged 0, 100 opening points, 1 bad$/);
    expect(r.err).toContain('line 4 (C3): phone "12" is not an 11-digit mainland mobile number');
    expect(await db.kysely.selectFrom('member_import').selectAll().execute()).toEqual([]);
  });

  it('imports, and a second run changes nothing', async () => {
    expect((await run('import', file())).out).toMatch(/: 3 rows, created 2, linked 0, unchanged 0, 100 opening points, 1 bad$/);
    expect((await run('import', file())).out).toMatch(/: 3 rows, created 0, linked 0, unchanged 2, 0 opening points, 1 bad$/);
    expect(await db.kysely.selectFrom('member_import').selectAll().execute()).toHaveLength(2);
  });

  it('exit 2 with the usage when the file is missing', async () => {
    await expect(run('import')).rejects.toThrow(/usage: pnpm jifen import/);
  });
});

describe('pnpm jifen report-rollup and retention', () => {
  it('report-rollup summarises the closed days', async () => {
    const r = await run('report-rollup', '--as-of', '2030-01-02');
    expect(r.code).toBe(0);
    // --as-of is 00:00 China of 2030-01-02: the 1st is closed an hour after it ends, not yet.
    expect(r.out).toMatch(/^report-rollup: \d+ days summarised, through 2029-12-31$/);
    expect((await run('report-rollup', '--as-of', '2030-01-02')).out).toBe('report-rollup: nothing to summarise');
  });

  it('retention erases members inactive for --months as of --as-of', async () => {
    const r = await run('retention', '--as-of', '2030-01-01', '--months', '12');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^retention: 2 members checked, 2 erased \(inactive since 2028-12-31T16:00:00.000Z, 12 months\)$/);
    const audit = await db.kysely.selectFrom('audit_log').select('actor').where('action', '=', 'member.retention.erase').execute();
    expect(audit).toEqual([{ actor: 'cli:retention' }, { actor: 'cli:retention' }]);
  });
});
