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

describe('pnpm jifen import members', () => {
  const file = () => join(dir, 'members.csv');
  beforeAll(() => {
    writeFileSync(
      file(),
      [
        'externalId,phone,name,openingBalance',
        'C1,13500000001,甲,100',
        'C2,13500000002,乙,0',
        'C3,12,丙,5',
        'C4,13500000004,丁,-7',
        'C1,13500000005,戊,1',
        'C5,13500000006,己,250',
        '',
      ].join('\n'),
    );
  });

  /** What an import could change: members, accounts, ledger entries and their points, import records. */
  async function state() {
    const k = db.kysely;
    const count = async (table: 'member' | 'account' | 'ledger_entry' | 'member_import') =>
      Number(
        (
          await k
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const points = await k
      .selectFrom('ledger_entry')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('points'), eb.val(0)).as('p'))
      .executeTakeFirstOrThrow();
    const available = await k
      .selectFrom('account')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('available'), eb.val(0)).as('p'))
      .executeTakeFirstOrThrow();
    return {
      members: await count('member'),
      accounts: await count('account'),
      entries: await count('ledger_entry'),
      imports: await count('member_import'),
      points: Number(points.p),
      available: Number(available.p),
    };
  }

  const EMPTY = { members: 0, accounts: 0, entries: 0, imports: 0, points: 0, available: 0 };

  it('--dry-run: every bad row on stderr with its line and reason, a summary, exit 1, nothing written', async () => {
    expect(await state()).toEqual(EMPTY);
    const r = await run('import', 'members', file(), '--dry-run');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^import \(dry run\) \d+: 6 rows, would create 3, linked 0, unchanged 0, 350 opening points, 3 bad$/);
    const reported = r.err.split('\n').filter((l) => l.startsWith('line '));
    expect(reported).toEqual([
      'line 4 (C3): phone (2 characters) is not an 11-digit mainland mobile number',
      'line 5 (C4): openingBalance "-7" is not a whole number of points',
      'line 6 (C1): externalId C1 repeats line 2',
    ]);
    // A progress line and the final count, before the bad rows.
    expect(r.err).toMatch(/import \(dry run\): 6 rows, 3 bad…/);
    expect(await state()).toEqual(EMPTY);
  });

  it('imports the good rows; the same file again creates nothing and credits nothing twice', async () => {
    const first = await run('import', 'members', file());
    expect(first.code).toBe(1);
    expect(first.out).toMatch(/: 6 rows, created 3, linked 0, unchanged 0, 350 opening points, 3 bad$/);
    // Three members; two opening credits (C2 has none): 100 + 250.
    const after = await state();
    expect(after).toMatchObject({ members: 3, entries: 2, imports: 3, points: 350, available: 350 });
    const again = await run('import', 'members', file());
    expect(again.out).toMatch(/: 6 rows, created 0, linked 0, unchanged 3, 0 opening points, 3 bad$/);
    expect(await state()).toEqual(after);
    // The first form of the command still works, and changes nothing either.
    expect((await run('import', file())).out).toMatch(/: 6 rows, created 0, linked 0, unchanged 3, 0 opening points, 3 bad$/);
    expect(await state()).toEqual(after);
  });

  it('exit 0 when every row is good', async () => {
    const good = join(dir, 'good.csv');
    writeFileSync(good, 'externalId,phone,openingBalance\r\nG1,13500000101,5\r\n');
    const r = await run('import', 'members', good);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/: 1 rows, created 1, linked 0, unchanged 0, 5 opening points, 0 bad$/);
  });

  it('exit 2 with the usage when the file is missing', async () => {
    await expect(run('import', 'members')).rejects.toThrow(/usage: pnpm jifen import members/);
    await expect(run('import')).rejects.toThrow(/usage: pnpm jifen import members/);
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
    // The four members imported above, none active since (an opening balance is no activity of theirs).
    expect(r.out).toMatch(/^retention: 4 members checked, 4 erased \(inactive since 2028-12-31T16:00:00.000Z, 12 months\)$/);
    const audit = await db.kysely.selectFrom('audit_log').select('actor').where('action', '=', 'member.retention.erase').execute();
    expect(audit).toEqual(Array.from({ length: 4 }, () => ({ actor: 'cli:retention' })));
    const runs = await db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'member.retention.run').execute();
    expect(runs).toHaveLength(1);
    expect(JSON.parse(runs[0]!.after_state!)).toEqual({ months: 12, inactiveSince: '2028-12-31T16:00:00.000Z', checked: 4, erased: 4 });
    const members = await db.kysely.selectFrom('member').select(['status', 'phone_hash', 'name']).execute();
    expect(members).toEqual(Array.from({ length: 4 }, () => ({ status: 'erased', phone_hash: null, name: null })));
    // The ledger stays: the opening balances are still there under the bare member ids.
    const entries = await db.kysely.selectFrom('ledger_entry').select('points').execute();
    expect(entries.map((e) => e.points).sort((a, b) => a - b)).toEqual([5, 100, 250]);
  });
});
