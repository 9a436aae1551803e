/**
 * `pnpm jifen bench ledger`: credits and debits per second and p99 latency through Jifen's ledger,
 * beside a bare-driver loop that runs the same statements at the same concurrency in the same run,
 * and the ratio between them. With --preload N it measures again after N entries were added.
 *
 * It uses its own database (DATABASE_URL; for MySQL a `<db>_bench` database is created and
 * dropped), never the one the server runs on.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/connect.js';
import { credit, debit } from '../commands/ledger.js';
import { sha256 } from '../lib/crypto.js';
import { newId } from '../lib/ids.js';
import { NEVER_EXPIRES_ORDER } from '../repositories/ledger.repository.js';
import { blankMember, ensureAccount, insertMember } from '../repositories/member.repository.js';
import { DEFAULT_TIERS } from '@jifen/shared';
import { combine, line, mysqlDriver, parseIntOptions, setupBenchDb, sqliteDriver, summarize } from './common.js';
import type { BareConnection, Figures } from './common.js';

interface Options {
  members: number;
  concurrency: number;
  seconds: number;
  preload: number;
  url: string;
}

function parseOptions(argv: string[]): Options {
  return {
    ...parseIntOptions(argv, {
      members: { default: 1000, min: 1 },
      concurrency: { default: 16, min: 1 },
      seconds: { default: 5, min: 1 },
      preload: { default: 0, min: 0 },
    }),
    url: process.env.DATABASE_URL ?? 'sqlite:./data/bench.sqlite',
  };
}

/** Runs `op` from `concurrency` workers for `seconds`; each op picks a random account. */
async function measure(concurrency: number, seconds: number, op: (worker: number, i: number) => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        try {
          await op(worker, i);
          latencies.push(performance.now() - t0);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return summarize(latencies, (performance.now() - started) / 1000, errors);
}

/** The bench program and funded accounts, shared by both loops. */
async function seedAccounts(db: Db, members: number): Promise<number[]> {
  const programId = newId();
  const now = Date.now();
  await db.kysely
    .insertInto('program')
    .values({
      id: programId,
      code: 'BENCH',
      name: '压测',
      point_value_fen: 100,
      expiry_policy: '{"kind":"never"}',
      return_window_days: 0,
      tier_set: JSON.stringify(DEFAULT_TIERS),
      is_default: 1,
      created_at: now,
    })
    .execute();
  const ids: number[] = [];
  for (let i = 0; i < members; i++) {
    const memberId = newId();
    await insertMember(db.kysely, blankMember(memberId, randomBytes(6).toString('hex'), now));
    const account = await ensureAccount(db.kysely, memberId, programId, 'bronze', now);
    ids.push(account.id);
    if (i % 200 === 0) process.stderr.write(`\rseeding accounts: ${i}/${members}`);
  }
  process.stderr.write(`\rseeding accounts: ${members}/${members}\n`);
  return ids;
}

/** Jifen's ledger: alternately a credit of 10 and a debit of 5 on a random account. */
function jifenOp(db: Db, accounts: number[], tag: string) {
  return async (worker: number, i: number) => {
    const accountId = accounts[Math.floor(Math.random() * accounts.length)]!;
    const key = { source: 'bench', key: `${tag}-${worker}-${i}` };
    if (i % 2 === 0) await credit({ db }, key, { accountId, points: 10, kind: 'grant', expiresAt: null, reason: 'bench' });
    else {
      try {
        await debit({ db }, key, { accountId, points: 5, kind: 'spend', reason: 'bench' });
      } catch {
        // An empty account refuses the debit after its read: still a full round of statements.
      }
    }
  };
}

interface LockedAccount {
  available: number;
  pending: number;
  held: number;
  growth: number;
  lifetime_earned: number;
  entry_seq: number;
}

/**
 * The same statements as Jifen's credit and debit, written directly against the driver: lock the
 * account, look up the idempotency key, insert the lot or take from lots, insert the entry, update
 * the account — no query builder, no domain objects. Backquoted names run on MySQL and SQLite alike.
 */
function bareOp(connect: () => Promise<BareConnection>, lockSuffix: string, beginSql: string, accounts: number[], tag: string) {
  return async (worker: number, i: number) => {
    const accountId = accounts[Math.floor(Math.random() * accounts.length)]!;
    const idem = sha256(`bench\u0000${tag}-${worker}-${i}`);
    const conn = await connect();
    try {
      await conn.exec(beginSql);
      const a = (await conn.query(`select * from \`account\` where \`id\` = ?${lockSuffix}`, [accountId]))[0] as unknown as LockedAccount;
      await conn.query('select * from `ledger_entry` where `idem_hash` = ?', [idem]);
      const now = Date.now();
      const entryId = newId();
      let points: number;
      let lotId: number | null = null;
      if (i % 2 === 0) {
        points = 10;
        lotId = newId();
        await conn.exec(
          'insert into `lot` (`id`, `account_id`, `source_entry_id`, `original`, `remaining`, `status`, `earned_at`, `release_at`, `expires_at`, `spend_order`) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [lotId, accountId, entryId, 10, 10, 'available', now, null, null, NEVER_EXPIRES_ORDER],
        );
      } else {
        if (Number(a.available) < 5) {
          await conn.exec('rollback');
          return;
        }
        points = -5;
        const lots = await conn.query(
          "select * from `lot` where `account_id` = ? and `status` = 'available' and `remaining` > 0 order by `spend_order`, `earned_at`, `id`",
          [accountId],
        );
        let left = 5;
        for (const lot of lots) {
          if (left === 0) break;
          const take = Math.min(left, Number(lot.remaining));
          left -= take;
          await conn.exec('update `lot` set `remaining` = ?, `status` = ? where `id` = ?', [
            Number(lot.remaining) - take,
            'available',
            lot.id,
          ]);
          await conn.exec(
            'insert into `lot_movement` (`id`, `account_id`, `lot_id`, `entry_id`, `kind`, `points`, `excused`) values (?, ?, ?, ?, ?, ?, ?)',
            [newId(), accountId, lot.id, entryId, 'spend', -take, 0],
          );
        }
      }
      const seq = Number(a.entry_seq) + 1;
      const available = Number(a.available) + points;
      await conn.exec(
        'insert into `ledger_entry` (`account_id`, `entry_seq`, `id`, `idem_hash`, `input_hash`, `kind`, `points`, `pending_delta`, `held_delta`, `growth_delta`, `available_after`, `pending_after`, `held_after`, `lot_id`, `ref_entry_id`, `order_ref`, `reason`, `trace`, `actor`, `created_at`) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          accountId,
          seq,
          entryId,
          idem,
          idem,
          points > 0 ? 'grant' : 'spend',
          points,
          0,
          0,
          0,
          available,
          a.pending,
          a.held,
          lotId,
          null,
          null,
          'bench',
          null,
          null,
          now,
        ],
      );
      await conn.exec(
        'update `account` set `available` = ?, `pending` = ?, `held` = ?, `lifetime_earned` = ?, `growth` = ?, `tier_code` = ?, `tier_since` = ?, `tier_warned_at` = ?, `entry_seq` = ?, `updated_at` = ? where `id` = ?',
        [available, a.pending, a.held, Number(a.lifetime_earned) + Math.max(0, points), a.growth, 'bronze', now, null, seq, now, accountId],
      );
      await conn.exec('commit');
    } catch (e) {
      await conn.exec('rollback').catch(() => undefined);
      throw e;
    } finally {
      conn.done();
    }
  };
}

const PRELOAD_INPUT = sha256('preload');

/**
 * A bulk load leaves gigabytes of dirty pages that InnoDB flushes in the background for minutes; a
 * measurement taken meanwhile measures that flush, not the ledger. Wait (up to 10 minutes) until the
 * dirty pages are under 2% of the buffer pool, as they are in steady operation.
 */
async function settleInnodb(db: Db): Promise<void> {
  const { sql } = await import('kysely');
  const started = Date.now();
  for (;;) {
    const rows = await sql<{ Variable_name: string; Value: string }>`show global status like 'Innodb_buffer_pool_pages_%'`.execute(
      db.kysely,
    );
    const stat = (name: string) => Number(rows.rows.find((r) => r.Variable_name === name)?.Value ?? 0);
    const dirty = stat('Innodb_buffer_pool_pages_dirty');
    const total = stat('Innodb_buffer_pool_pages_total') || 1;
    process.stderr.write(
      `\rwaiting for InnoDB to flush the load: ${dirty} dirty pages (${((dirty / total) * 100).toFixed(1)}% of the pool)   `,
    );
    if (dirty / total < 0.02 || Date.now() - started > 600_000) break;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  process.stderr.write('\n');
}

/** Adds `count` entries under filler accounts in multi-row inserts, with progress. */
async function preload(db: Db, count: number): Promise<void> {
  const perAccount = 1000;
  const batch = db.dialect === 'mysql' ? 2000 : 500;
  const now = Date.now();
  let done = 0;
  let accountId = newId();
  let seq = 0;
  const started = performance.now();
  while (done < count) {
    const rows = [];
    for (let i = 0; i < batch && done + rows.length < count; i++) {
      if (seq === perAccount) {
        accountId = newId();
        seq = 0;
      }
      seq += 1;
      const id = newId();
      rows.push({
        account_id: accountId,
        entry_seq: seq,
        id,
        idem_hash: sha256(`preload:${id}`),
        input_hash: PRELOAD_INPUT,
        kind: 'grant',
        points: 1,
        pending_delta: 0,
        held_delta: 0,
        growth_delta: 0,
        available_after: seq,
        pending_after: 0,
        held_after: 0,
        lot_id: null,
        ref_entry_id: null,
        order_ref: null,
        reason: 'preload',
        trace: null,
        actor: null,
        created_at: now - Math.floor(Math.random() * 3e10),
      });
    }
    await db.kysely.insertInto('ledger_entry').values(rows).execute();
    done += rows.length;
    if (done % (batch * 25) < batch || done === count) {
      const rate = Math.round(done / ((performance.now() - started) / 1000));
      process.stderr.write(
        `\rpreloading ledger: ${done.toLocaleString('en')}/${count.toLocaleString('en')} entries (${rate.toLocaleString('en')}/s)`,
      );
    }
  }
  process.stderr.write('\n');
}

/**
 * Jifen and the bare loop take turns in short slices (five each) rather than one long run each, so
 * whatever else the machine is doing weighs on both alike and the ratio stays meaningful.
 */
async function round(label: string, opts: Options, bench: { db: Db; url: string }, accounts: number[]): Promise<number> {
  const slices = 5;
  const sliceSeconds = Math.max(1, Math.round(opts.seconds / slices));
  const jifenRuns: Figures[] = [];
  const bareRuns: Figures[] = [];
  const driver = bench.db.dialect === 'mysql' ? mysqlDriver(bench.url, 64) : sqliteDriver(bench.url.slice('sqlite:'.length));
  const bare = bareOp(driver.connect, driver.lockSuffix, driver.beginSql, accounts, `${label}-b`);
  for (let i = 0; i < slices; i++) {
    process.stderr.write(
      `\r${label}: slice ${i + 1}/${slices}, ${opts.concurrency} workers, ${sliceSeconds}s Jifen then ${sliceSeconds}s bare…`,
    );
    jifenRuns.push(await measure(opts.concurrency, sliceSeconds, jifenOp(bench.db, accounts, `${label}-j${i}`)));
    bareRuns.push(await measure(opts.concurrency, sliceSeconds, (w, n) => bare(w, n + i * 10_000_000)));
  }
  process.stderr.write('\n');
  await driver.close();
  const jifen = combine(jifenRuns);
  const floor = combine(bareRuns);
  const ratio = jifen.perSecond / floor.perSecond;
  console.log(
    `\n== ${label} (${bench.db.dialect}, ${accounts.length} members, concurrency ${opts.concurrency}, ${slices}×${sliceSeconds}s each, interleaved)`,
  );
  console.log(line('Jifen ledger', jifen));
  console.log(line('bare driver (floor)', floor));
  console.log(`ratio Jifen / bare: ${ratio.toFixed(2)}`);
  return jifen.perSecond;
}

export async function benchLedger(argv: string[]): Promise<number> {
  const opts = parseOptions(argv);
  const bench = await setupBenchDb(opts.url, '_bench', 64);
  try {
    if (bench.db.dialect === 'mysql') {
      const { sql } = await import('kysely');
      const r = await sql<{ v: string; pool: number | string }>`select version() as v, @@innodb_buffer_pool_size as pool`.execute(
        bench.db.kysely,
      );
      const row = r.rows[0];
      if (row) console.log(`server ${row.v}, innodb_buffer_pool_size ${Math.round(Number(row.pool) / 1048576)} MiB`);
    }
    const accounts = await seedAccounts(bench.db, opts.members);
    const before = await round('empty ledger', opts, bench, accounts);
    if (opts.preload > 0) {
      await preload(bench.db, opts.preload);
      if (bench.db.dialect === 'mysql') await settleInnodb(bench.db);
      const after = await round(`after ${opts.preload.toLocaleString('en')} entries`, opts, bench, accounts);
      console.log(`\nthroughput with the preloaded ledger vs empty: ${((after / before) * 100).toFixed(0)}%`);
    }
    return 0;
  } finally {
    await bench.drop();
  }
}
