/** Staff accounts as HQ manages them: listing, role, store, PIN, deactivation, lock-out, sessions. */
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { Database } from '../db/schema.js';

type Q = Kysely<Database> | Trx;
export type HqStaffRow = Selectable<Database['staff']>;

export function findStaffById(db: Q, id: number): Promise<HqStaffRow | undefined> {
  return db.selectFrom('staff').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listStaff(db: Q, filter: { storeId?: number; role?: string; includeInactive?: boolean }) {
  let q = db
    .selectFrom('staff')
    .leftJoin('store', 'store.id', 'staff.store_id')
    .select([
      'staff.id',
      'staff.username',
      'staff.role',
      'store.code as store_code',
      'staff.deactivated_at',
      'staff.locked_until',
      'staff.pin_hash',
      'staff.created_at',
    ])
    .orderBy('staff.username');
  if (filter.storeId !== undefined) q = q.where('staff.store_id', '=', filter.storeId);
  if (filter.role) q = q.where('staff.role', '=', filter.role);
  if (!filter.includeInactive) q = q.where('staff.deactivated_at', 'is', null);
  return q.limit(1000).execute();
}

export async function updateStaff(db: Q, id: number, patch: Updateable<Database['staff']>): Promise<void> {
  await db.updateTable('staff').set(patch).where('id', '=', id).execute();
}

/** Ends a staff member's sessions (all of them, or all but the one in use). */
export async function deleteSessions(db: Q, staffId: number, keepTokenHash?: string): Promise<void> {
  let q = db.deleteFrom('staff_session').where('staff_id', '=', staffId);
  if (keepTokenHash) q = q.where('token_hash', '<>', keepTokenHash);
  await q.execute();
}

export async function deleteSession(db: Q, tokenHash: string): Promise<void> {
  await db.deleteFrom('staff_session').where('token_hash', '=', tokenHash).execute();
}

export async function countActiveAdmins(db: Q): Promise<number> {
  const row = await db
    .selectFrom('staff')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('role', '=', 'admin')
    .where('deactivated_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export function findStoreByCode(db: Q, code: string) {
  return db.selectFrom('store').select(['id', 'code', 'name', 'brand_id']).where('code', '=', code).executeTakeFirst();
}

export function findStoreById(db: Q, id: number) {
  return db.selectFrom('store').select(['id', 'code', 'name', 'brand_id']).where('id', '=', id).executeTakeFirst();
}
