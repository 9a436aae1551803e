/**
 * The few places where SQLite and MySQL/MariaDB/TiDB differ, each behind one helper:
 * transactions with retry, row locks, duplicate-key detection and aggregate numbers.
 */
import { sql } from 'kysely';
import type { Expression, Kysely, RawBuilder, Transaction } from 'kysely';
import type { Db, DialectName } from './connect.js';
import type { Database } from './schema.js';

export type Trx = Transaction<Database>;

interface DriverError {
  errno?: number;
  code?: string;
}

function asDriverError(e: unknown): DriverError {
  return typeof e === 'object' && e !== null ? (e as DriverError) : {};
}

/** A unique-key violation: MySQL errno 1062, SQLite SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY. */
export function isDuplicateKeyError(e: unknown): boolean {
  const { errno, code } = asDriverError(e);
  return errno === 1062 || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Errors after which the whole transaction may be rerun: deadlock (1213), lock wait timeout (1205),
 * NOWAIT (3572), TiDB's documented retry-safe codes, and SQLite's busy/locked.
 */
const RETRYABLE_ERRNO = new Set([1213, 1205, 3572, 9007, 8005, 8002, 8022, 8028]);
export function isRetryableError(e: unknown): boolean {
  const { errno, code } = asDriverError(e);
  if (errno !== undefined && RETRYABLE_ERRNO.has(errno)) return true;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
}

export interface TransactionOptions {
  /** Attempts in all, including the first. */
  attempts?: number;
}

/**
 * Runs `fn` in a transaction and reruns it from the start on a retryable error, with jittered
 * backoff. Kysely's transaction() never retries; InnoDB rolls back only the statement on 1205, so
 * the whole transaction is rolled back and rerun here.
 *
 * On MySQL the isolation is READ COMMITTED (set on every pooled connection in connect.ts): Jifen's transactions lock the rows they change
 * (order, account) and then must read what is committed *now* — under REPEATABLE READ a plain
 * read after the lock would still see the snapshot taken by the transaction's first plain read,
 * e.g. lots or "already earned today" as they were before a concurrent settlement committed.
 * (TiDB supports READ COMMITTED with pessimistic locking; SQLite has one writer and needs none.)
 */
export async function inTransaction<T>(db: Db, fn: (trx: Trx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.kysely.transaction().execute(fn);
    } catch (e) {
      if (attempt >= attempts || !isRetryableError(e)) throw e;
      const backoff = Math.min(200, 2 ** attempt) + Math.random() * 10;
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}

/**
 * Locks account rows for the rest of the transaction, in ascending id order so two transactions
 * touching the same accounts can never wait on each other in a cycle. On MySQL this is
 * `SELECT … FOR UPDATE` taken before any insert (avoiding the FK-check shared-lock upgrade that
 * deadlocks); SQLite has one writer per database and `BEGIN IMMEDIATE` already holds it.
 */
export async function lockAccounts(trx: Trx, dialect: DialectName, ids: readonly number[]) {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const rows = [];
  for (const id of sorted) {
    let q = trx.selectFrom('account').selectAll().where('id', '=', id);
    if (dialect === 'mysql') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (row) rows.push(row);
  }
  return rows;
}

/** The member's account in a program, locked (MySQL) — undefined when it does not exist yet. */
export async function lockAccountOf(trx: Trx, dialect: DialectName, memberId: number, programId: number) {
  let q = trx.selectFrom('account').selectAll().where('member_id', '=', memberId).where('program_id', '=', programId);
  if (dialect === 'mysql') q = q.forUpdate();
  return q.executeTakeFirst();
}

/** Locks one row of any table by primary key `id` (MySQL); a plain read on SQLite. */
export async function lockRowById<T extends 'member' | 'hold' | 'lot'>(
  trx: Trx,
  dialect: DialectName,
  table: T,
  id: number,
): Promise<boolean> {
  const base = (trx as unknown as Kysely<Database>)
    .selectFrom(table as 'member')
    .select('id')
    .where('id', '=', id);
  const row = await (dialect === 'mysql' ? base.forUpdate() : base).executeTakeFirst();
  return row !== undefined;
}

/** `sum()` comes back as a string from MySQL (DECIMAL) and a number from SQLite. */
export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  const n = Number(v);
  if (!Number.isFinite(n)) throw new TypeError(`not a number: ${String(v)}`);
  return n;
}

/**
 * The China calendar day number of an epoch-millisecond expression: floor((t + 8 h) / 1 day), an
 * integer on both dialects (MySQL's `/` gives a DECIMAL, so `DIV` there; SQLite divides integers
 * exactly). Times are never negative, so truncation is the floor. Reports group by it and turn the
 * numbers back into dates in JavaScript.
 */
export function chinaDaySql(dialect: DialectName, epochMs: Expression<number>): RawBuilder<number> {
  return dialect === 'mysql' ? sql<number>`((${epochMs} + 28800000) DIV 86400000)` : sql<number>`((${epochMs} + 28800000) / 86400000)`;
}
