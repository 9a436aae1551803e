/** Programs, brands, stores, terminals, staff and staff sessions. */
import type { Selectable } from 'kysely';
import type { Kysely } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { Database, ProgramTable } from '../db/schema.js';

export type ProgramRow = Selectable<ProgramTable>;
/** With the columns 0004 added (PIN, deactivation, password change). */
export type StaffRow = Selectable<Database['staff']>;
type Q = Kysely<Database> | Trx;

export function findProgramById(db: Q, id: number): Promise<ProgramRow | undefined> {
  return db.selectFrom('program').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findProgramByCode(db: Q, code: string): Promise<ProgramRow | undefined> {
  return db.selectFrom('program').selectAll().where('code', '=', code).executeTakeFirst();
}

export function defaultProgram(db: Q): Promise<ProgramRow | undefined> {
  return db.selectFrom('program').selectAll().orderBy('is_default', 'desc').orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
}

export function listPrograms(db: Q): Promise<ProgramRow[]> {
  return db.selectFrom('program').selectAll().orderBy('created_at').orderBy('id').execute();
}

export function findStaffByUsername(db: Q, username: string): Promise<StaffRow | undefined> {
  return db.selectFrom('staff').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function countStaffWithRole(db: Q, role: string): Promise<number> {
  const row = await db
    .selectFrom('staff')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('role', '=', role)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** A live session of active staff: a deactivated staff member's sessions end at once, whatever their expiry. */
export async function findSession(db: Q, tokenHash: string, now: number) {
  return db
    .selectFrom('staff_session')
    .innerJoin('staff', 'staff.id', 'staff_session.staff_id')
    .select(['staff.id as staffId', 'staff.username', 'staff.role', 'staff.store_id as storeId', 'staff_session.expires_at as expiresAt'])
    .where('staff_session.token_hash', '=', tokenHash)
    .where('staff_session.expires_at', '>', now)
    .where('staff.deactivated_at', 'is', null)
    .executeTakeFirst();
}
