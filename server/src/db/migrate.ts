import { Migrator } from 'kysely';
import type { Migration, MigrationProvider, Kysely } from 'kysely';
import type { Db } from './connect.js';
import { migration0001 } from './migrations/0001_core.js';
import { migration0002 } from './migrations/0002_payments.js';
import { migration0003 } from './migrations/0003_member.js';
import { migration0004 } from './migrations/0004_hq.js';
import { migration0005 } from './migrations/0005_reports.js';
import { migration0006 } from './migrations/0006_pos.js';
import { migration0007 } from './migrations/0007_report_speed.js';
import { migration0008 } from './migrations/0008_member_orders.js';

/** Migrations are listed here in order; a shipped migration is never edited, only followed. */
function provider(db: Db): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '0001_core': migration0001(db.dialect),
        '0002_payments': migration0002(db.dialect),
        '0003_member': migration0003(db.dialect),
        '0004_hq': migration0004(db.dialect),
        '0005_reports': migration0005(db.dialect),
        '0006_pos': migration0006(db.dialect),
        '0007_report_speed': migration0007(db.dialect),
        '0008_member_orders': migration0008(),
      };
    },
  };
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db: db.kysely as unknown as Kysely<unknown>, provider: provider(db) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
