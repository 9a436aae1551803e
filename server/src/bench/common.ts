/**
 * Pieces the benchmarks share: a bench database beside the real one, latency summaries, the bare
 * driver connections a floor loop runs on, and a fixed-count worker loop.
 */
import { rmSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { createPool } from 'mysql2/promise';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { openDatabase } from '../db/connect.js';
import type { Db } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';

export interface Figures {
  ops: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  latencies: number[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Figures of one timed run: `ops` completed operations over `seconds` of wall time. */
export function summarize(latencies: number[], seconds: number, errors: number, ops = latencies.length): Figures {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    ops,
    seconds,
    perSecond: ops / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errors,
    latencies: sorted,
  };
}

/** Sums slices: throughput over their total time, latency percentiles over all operations. */
export function combine(runs: Figures[]): Figures {
  const ops = runs.reduce((s, r) => s + r.ops, 0);
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  return summarize(
    runs.flatMap((r) => r.latencies),
    seconds,
    runs.reduce((s, r) => s + r.errors, 0),
    ops,
  );
}

export function line(label: string, f: Figures, unit = 'ops/s'): string {
  return `${label.padEnd(26)} ${f.perSecond.toFixed(0).padStart(7)} ${unit}   p50 ${f.p50.toFixed(2).padStart(6)} ms   p99 ${f.p99.toFixed(2).padStart(7)} ms   (${f.ops} ops, ${f.errors} errors)`;
}

/** Runs op(i) for every i in [from, to) from `concurrency` workers; latencies of successful ops. */
export async function runFixed(from: number, to: number, concurrency: number, op: (i: number) => Promise<void>): Promise<Figures> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  let next = from;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < to) {
        const i = next++;
        const t0 = performance.now();
        try {
          await op(i);
          latencies.push(performance.now() - t0);
        } catch (e) {
          errors += 1;
          firstError ??= e;
        }
      }
    }),
  );
  if (firstError) process.stderr.write(`\nfirst error: ${String((firstError as Error).message ?? firstError)}\n`);
  return summarize(latencies, (performance.now() - started) / 1000, errors, to - from - errors);
}

export interface BenchDb {
  db: Db;
  url: string;
  drop: () => Promise<void>;
}

/**
 * A database of its own beside DATABASE_URL's, migrated: for MySQL `<db><suffix>` (dropped and
 * created, dropped again by drop()); for SQLite a file named after the original (removed by drop()).
 */
export async function setupBenchDb(url: string, suffix: string, poolSize?: number): Promise<BenchDb> {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    const benchPath = path === ':memory:' ? ':memory:' : path.replace(/(\.sqlite)?$/, `${suffix.replace(/_/g, '.')}.sqlite`);
    const removeFiles = () => {
      if (benchPath !== ':memory:') for (const s of ['', '-wal', '-shm']) rmSync(benchPath + s, { force: true });
    };
    removeFiles();
    const benchUrl = `sqlite:${benchPath}`;
    const db = openDatabase(benchUrl);
    await migrateToLatest(db);
    return {
      db,
      url: benchUrl,
      async drop() {
        await db.close();
        removeFiles();
      },
    };
  }
  const u = new URL(url);
  const name = `${u.pathname.replace(/^\//, '') || 'jifen'}${suffix}`;
  const admin = await createPool({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    connectionLimit: 1,
  });
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  u.pathname = `/${name}`;
  const benchUrl = u.toString();
  const db = openDatabase(benchUrl, poolSize ? { poolSize } : {});
  await migrateToLatest(db);
  return {
    db,
    url: benchUrl,
    async drop() {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}

/** The least a driver must do for a bare loop: run one statement with positional parameters. */
export interface BareConnection {
  query(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  exec(sql: string, params?: unknown[]): Promise<void>;
  done(): void;
}

export interface BareDriver {
  dialect: 'mysql' | 'sqlite';
  connect: () => Promise<BareConnection>;
  /** `' for update'` on MySQL, nothing on SQLite (its writer lock, taken by `begin immediate`, serialises). */
  lockSuffix: string;
  beginSql: string;
  close: () => Promise<void>;
}

/** mysql2 text protocol (as Kysely's MySQL driver uses), a pooled connection per operation. */
export function mysqlDriver(url: string, connectionLimit: number): BareDriver {
  const u = new URL(url);
  const pool: Pool = createPool({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1),
    connectionLimit,
    supportBigNumbers: true,
    charset: 'utf8mb4',
  });
  return {
    dialect: 'mysql',
    lockSuffix: ' for update',
    beginSql: 'begin',
    async connect() {
      const conn: PoolConnection = await pool.getConnection();
      return {
        async query(sql, params = []) {
          const [rows] = await conn.query<RowDataPacket[]>(sql, params);
          return rows;
        },
        async exec(sql, params = []) {
          await conn.query(sql, params);
        },
        done: () => conn.release(),
      };
    },
    close: () => pool.end(),
  };
}

/** better-sqlite3 on its own connection, each statement prepared once; operations take turns. */
export function sqliteDriver(path: string): BareDriver {
  const raw = new BetterSqlite3(path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  const prepared = new Map<string, BetterSqlite3.Statement>();
  const stmt = (sql: string) => {
    let s = prepared.get(sql);
    if (!s) prepared.set(sql, (s = raw.prepare(sql)));
    return s;
  };
  let turn = Promise.resolve();
  const connection: BareConnection = {
    query: async (sql, params = []) => stmt(sql).all(...params) as Array<Record<string, unknown>>,
    exec: async (sql, params = []) => {
      if (sql === 'rollback' && !raw.inTransaction) return;
      stmt(sql).run(...params);
    },
    done: () => undefined,
  };
  return {
    dialect: 'sqlite',
    lockSuffix: '',
    beginSql: 'begin immediate',
    connect: async () => {
      const previous = turn;
      let release!: () => void;
      turn = new Promise((r) => (release = r));
      await previous;
      return { ...connection, done: release };
    },
    close: async () => {
      raw.close();
    },
  };
}
