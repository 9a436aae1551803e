import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from './cli.js';
import { credit } from './commands/ledger.js';
import { openDatabase } from './db/connect.js';
import type { Db } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { createTestDb, testDialect } from './test-support/db.js';
import type { TestDb } from './test-support/db.js';
import { balances, makeAccount, makeProgram } from './test-support/fixtures.js';

let url: string;
let db: Db;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  if (testDialect() === 'sqlite') {
    // The CLI opens its own connection, so SQLite needs a file both can see.
    const dir = mkdtempSync(join(tmpdir(), 'jifen-cli-'));
    url = `sqlite:${join(dir, 'cli.sqlite')}`;
    db = openDatabase(url);
    await migrateToLatest(db);
    cleanup = async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    };
  } else {
    const t: TestDb = await createTestDb();
    url = t.url;
    db = t.db;
    cleanup = () => t.drop();
  }
  process.env.DATABASE_URL = url;
});
afterAll(async () => cleanup());

async function run(...argv: string[]): Promise<{ code: number; out: string }> {
  const logs: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(argv);
    return { code, out: logs.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe('pnpm jifen', () => {
  it('expire --as-of expires due lots once and prints a summary; a rerun expires nothing', async () => {
    const programId = await makeProgram(db);
    const { accountId } = await makeAccount(db, programId);
    const due = Date.parse('2026-12-31T15:59:59.999Z');
    await credit(
      { db },
      { source: 'test', key: `cli-${accountId}` },
      { accountId, points: 70, kind: 'grant', expiresAt: due, reason: 'x' },
    );
    await credit(
      { db },
      { source: 'test', key: `cli2-${accountId}` },
      { accountId, points: 30, kind: 'grant', expiresAt: null, reason: 'x' },
    );

    const early = await run('expire', '--as-of', '2026-12-31');
    expect(early.out).toMatch(/expire: 0 lots expired/);
    const first = await run('expire', '--as-of', '2027-01-01');
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toMatch(/expire: 1 lots expired, 70 points/);
    const again = await run('expire', '--as-of', '2027-01-01');
    expect(again.out).toMatch(/expire: 0 lots expired, 0 points/);
    expect((await balances(db, accountId)).available).toBe(30);
  });

  it('verify-ledger exits 0 on a consistent ledger and 1 when a cached balance was tampered with', async () => {
    expect((await run('verify-ledger')).code).toBe(0);
    const programId = await makeProgram(db, { isDefault: false });
    const { accountId } = await makeAccount(db, programId);
    await credit({ db }, { source: 'test', key: `v-${accountId}` }, { accountId, points: 10, kind: 'grant', expiresAt: null, reason: 'x' });
    await db.kysely.updateTable('account').set({ available: 11 }).where('id', '=', accountId).execute();
    const bad = await run('verify-ledger');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/1 with problems/);
  });

  it('rejects a malformed --as-of', async () => {
    await expect(run('expire', '--as-of', '01/01/2027')).rejects.toThrow(/YYYY-MM-DD/);
  });

  it('prints usage for an unknown command and exits 2', async () => {
    expect((await run('frobnicate')).code).toBe(2);
  });
});
