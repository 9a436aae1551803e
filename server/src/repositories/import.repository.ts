/** The legacy member import: which member each external id became, and the runs with their progress. */
import type { Kysely, Selectable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { ImportRunTable, MemberImportTable } from '../db/report-schema.js';
import type { Database } from '../db/schema.js';

export type MemberImportRow = Selectable<MemberImportTable>;
export type ImportRunRow = Selectable<ImportRunTable>;
type Q = Kysely<Database> | Trx;

export function findImportByExternalId(db: Q, externalId: string): Promise<MemberImportRow | undefined> {
  return db.selectFrom('member_import').selectAll().where('external_id', '=', externalId).executeTakeFirst();
}

export function findImportByPhoneHash(db: Q, phoneHash: string): Promise<MemberImportRow | undefined> {
  return db.selectFrom('member_import').selectAll().where('phone_hash', '=', phoneHash).executeTakeFirst();
}

export async function insertMemberImport(db: Q, row: MemberImportRow): Promise<void> {
  await db.insertInto('member_import').values(row).execute();
}

export async function insertImportRun(db: Q, row: ImportRunRow): Promise<void> {
  await db.insertInto('import_run').values(row).execute();
}

export async function updateImportRun(db: Q, id: number, patch: Partial<Omit<ImportRunRow, 'id'>>): Promise<void> {
  await db.updateTable('import_run').set(patch).where('id', '=', id).execute();
}

export function findImportRun(db: Q, id: number): Promise<ImportRunRow | undefined> {
  return db.selectFrom('import_run').selectAll().where('id', '=', id).executeTakeFirst();
}

export function recentImportRuns(db: Q, limit: number): Promise<ImportRunRow[]> {
  return db.selectFrom('import_run').selectAll().orderBy('started_at', 'desc').orderBy('id').limit(limit).execute();
}

/** The legacy import's phone hash is personal data too; '' marks an erased record (never re-imported). */
export async function forgetImportedPhone(db: Q, memberId: number): Promise<void> {
  await db.updateTable('member_import').set({ phone_hash: '' }).where('member_id', '=', memberId).execute();
}
