/**
 * A fresh, migrated database per test file, on the dialect the Vitest project names
 * (JIFEN_TEST_DB=sqlite|mysql). MySQL tests get their own database, dropped afterwards, so files
 * can run in parallel against one MariaDB.
 */
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { openDatabase } from '../db/connect.js';
import type { Db } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';

export type TestDialect = 'sqlite' | 'mysql';

export function testDialect(): TestDialect {
  return process.env.JIFEN_TEST_DB === 'mysql' ? 'mysql' : 'sqlite';
}

export function mysqlBaseUrl(): string {
  return process.env.JIFEN_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/jifen_test';
}

export interface TestDb {
  db: Db;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDb(options: { poolSize?: number } = {}): Promise<TestDb> {
  if (testDialect() === 'sqlite') {
    const db = openDatabase('sqlite::memory:');
    await migrateToLatest(db);
    return { db, url: 'sqlite::memory:', drop: () => db.close() };
  }
  const base = new URL(mysqlBaseUrl());
  const name = `${base.pathname.replace(/^\//, '') || 'jifen_test'}_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection({
    host: base.hostname,
    port: Number(base.port || 3306),
    user: decodeURIComponent(base.username),
    password: decodeURIComponent(base.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = `mysql://${base.username}${base.password ? `:${base.password}` : ''}@${base.host}/${name}`;
  const db = openDatabase(url, { poolSize: options.poolSize ?? 24 });
  await migrateToLatest(db);
  return {
    db,
    url,
    async drop() {
      await db.close();
      const c = await createConnection({
        host: base.hostname,
        port: Number(base.port || 3306),
        user: decodeURIComponent(base.username),
        password: decodeURIComponent(base.password),
      });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
