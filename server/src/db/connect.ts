/**
 * Opens the database named by DATABASE_URL: `sqlite:<path>`, `sqlite::memory:` or `mysql://…`.
 * Dialect differences stop here and in dialect.ts; the rest of the server sees one Kysely<Database>.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, MysqlDialect, SqliteDialect } from 'kysely';
import type { DatabaseConnection, Driver, SqliteDatabase, SqliteStatement } from 'kysely';
import { createPool } from 'mysql2';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'mysql';

export interface Db {
  kysely: Kysely<Database>;
  dialect: DialectName;
  /** A redacted description for logs (no password). */
  describe: string;
  close(): Promise<void>;
}

export function parseDatabaseUrl(url: string): { dialect: DialectName; target: string } {
  if (url.startsWith('sqlite:')) return { dialect: 'sqlite', target: url.slice('sqlite:'.length) };
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) return { dialect: 'mysql', target: url };
  throw new Error(`DATABASE_URL must start with sqlite: or mysql:// (got ${redactUrl(url)})`);
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

export interface OpenOptions {
  /** mysql2 pool size; the default suits one server process on a small database host. */
  poolSize?: number;
}

export function openDatabase(url: string, options: OpenOptions = {}): Db {
  const { dialect, target } = parseDatabaseUrl(url);
  if (dialect === 'sqlite') return openSqlite(target);
  return openMysql(target, options.poolSize ?? 16);
}

function openSqlite(path: string): Db {
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
  const raw = new BetterSqlite3(path === '' ? ':memory:' : path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 5000');
  raw.pragma('foreign_keys = OFF');
  const kysely = new Kysely<Database>({ dialect: new ImmediateSqliteDialect(cachingDatabase(raw)) });
  return {
    kysely,
    dialect: 'sqlite',
    describe: `sqlite:${path}`,
    close: () => kysely.destroy(),
  };
}

/**
 * Kysely prepares every statement anew; better-sqlite3 statements are reusable, and reusing them
 * roughly doubles throughput on the ledger's hot path. The cache is bounded by the number of
 * distinct SQL strings the application builds, which is small and fixed.
 */
function cachingDatabase(raw: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = raw.prepare(sql);
        if (cache.size < 2000) cache.set(sql, stmt);
      }
      return stmt as unknown as SqliteStatement;
    },
  };
}

/**
 * SQLite has a single writer. `BEGIN IMMEDIATE` takes the write lock at the start of every
 * transaction, so a read-then-write transaction can never fail half-way with SQLITE_BUSY when a
 * second process (a CLI job beside the server) writes to the same file.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    const begin = async (connection: DatabaseConnection): Promise<void> => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    driver.beginTransaction = begin;
    return driver;
  }
  constructor(database: SqliteDatabase) {
    super({ database });
  }
}

function openMysql(url: string, poolSize: number): Db {
  const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
  const pool = createPool({
    host: u.hostname,
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.replace(/^\//, ''),
    connectionLimit: poolSize,
    supportBigNumbers: true,
    bigNumberStrings: false,
    timezone: 'Z',
    charset: 'utf8mb4',
    enableKeepAlive: true,
    waitForConnections: true,
  });
  const kysely = new Kysely<Database>({
    dialect: new MysqlDialect({
      pool,
      // Every transaction runs READ COMMITTED (see inTransaction): set once per connection rather
      // than with a SET before every BEGIN, which would cost a round trip per transaction.
      onCreateConnection: async (connection) => {
        await connection.executeQuery(CompiledQuery.raw('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'));
      },
    }),
  });
  return {
    kysely,
    dialect: 'mysql',
    describe: redactUrl(url),
    close: () => kysely.destroy(),
  };
}
