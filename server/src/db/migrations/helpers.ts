import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';

/**
 * `createTable` with the MySQL table options every table gets: InnoDB, utf8mb4 with a binary
 * collation (the TiDB default), so unique keys compare the same on MySQL 8, MariaDB and TiDB.
 */
export function createTableFor(db: Kysely<any>, dialect: DialectName) {
  return (name: string) => {
    const builder = db.schema.createTable(name);
    return dialect === 'mysql' ? builder.modifyEnd(sql`ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`) : builder;
  };
}
