/**
 * Pieces the benchmarks share: option parsing, a bench database beside the real one, latency
 * summaries, the bare driver connections a floor loop runs on, a fixed-count worker loop and the HTTP
 * load generator.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { createPool } from 'mysql2/promise';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { openDatabase } from '../db/connect.js';
import type { Db } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';

/** An integer command-line option (as parseArgs gives it, a string) of at least `min`. */
export function intOption(name: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return n;
}

/**
 * Parses a bench's command line when every option is an integer: `spec` gives each option's default and
 * least value; unknown options are refused (parseArgs, strict).
 */
export function parseIntOptions<K extends string>(argv: string[], spec: Record<K, { default: number; min: number }>): Record<K, number> {
  const names = Object.keys(spec) as K[];
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: Object.fromEntries(names.map((name) => [name, { type: 'string', default: String(spec[name].default) }])),
  });
  return Object.fromEntries(names.map((name) => [name, intOption(name, values[name] as string | undefined, spec[name].min)])) as Record<
    K,
    number
  >;
}

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

/** One HTTP request for the load generator, built (headers and all) before timing starts. */
export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * The load generator, in a worker thread: keep-alive connections, `concurrency` requests in flight,
 * each answer's status and latency. Plain JavaScript (eval'd), so it needs no loader.
 */
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { host, port, concurrency, okStatus, timeFailures } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
function send(r) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request({ host, port, path: r.path, method: r.method, agent, headers: r.headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', (e) => resolve({ status: 0, ms: performance.now() - t0, body: e.message }));
    req.end(r.body);
  });
}
parentPort.on('message', async (msg) => {
  if (msg.type === 'close') { agent.destroy(); parentPort.close(); return; }
  const latencies = [];
  let errors = 0;
  let firstError = null;
  const requests = msg.requests;
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests.length) {
      const r = requests[next++];
      const a = await send(r);
      if (a.status === okStatus || timeFailures) latencies.push(a.ms);
      if (a.status !== okStatus) { errors += 1; if (!firstError) firstError = a.status + ' ' + a.body.slice(0, 300); }
    }
  }));
  parentPort.postMessage({ latencies, errors, firstError, seconds: (performance.now() - started) / 1000 });
});
`;

export interface LoadGenerator {
  /** Sends these requests, `concurrency` at a time; resolves when all are answered. */
  fire(requests: LoadRequest[]): Promise<Figures>;
  close(): Promise<void>;
}

/**
 * A load generator against the server at `url`. An answer with `okStatus` counts as an operation, any
 * other as an error; latencies are those of the operations, or of every answer with `timeFailures`.
 */
export function startLoadGenerator(
  url: string,
  concurrency: number,
  { okStatus, timeFailures = false }: { okStatus: number; timeFailures?: boolean },
): LoadGenerator {
  const u = new URL(url);
  const worker = new Worker(LOAD_WORKER, {
    eval: true,
    workerData: { host: u.hostname, port: Number(u.port), concurrency, okStatus, timeFailures },
  });
  return {
    fire(requests) {
      return new Promise((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        worker.once('error', onError);
        worker.once('message', (r: { latencies: number[]; errors: number; firstError: string | null; seconds: number }) => {
          worker.off('error', onError);
          if (r.firstError) process.stderr.write(`\nfirst non-${okStatus} answer: ${r.firstError}\n`);
          resolve(summarize(r.latencies, r.seconds, r.errors, requests.length - r.errors));
        });
        worker.postMessage({ type: 'run', requests });
      });
    },
    async close() {
      worker.postMessage({ type: 'close' });
      await new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    },
  };
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
