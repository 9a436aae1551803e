/** Adjustments waiting for a second staff member's approval (adjustment_request). */
import type { Kysely, Selectable, Updateable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { AdjustmentRequestTable, Database } from '../db/schema.js';

type Q = Kysely<Database> | Trx;
export type AdjustmentRequestRow = Selectable<AdjustmentRequestTable>;

export async function insertAdjustmentRequest(db: Q, row: AdjustmentRequestRow): Promise<void> {
  await db.insertInto('adjustment_request').values(row).execute();
}

export function findAdjustmentRequest(db: Q, id: number): Promise<AdjustmentRequestRow | undefined> {
  return db.selectFrom('adjustment_request').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findAdjustmentRequestByKey(db: Q, key: string): Promise<AdjustmentRequestRow | undefined> {
  return db.selectFrom('adjustment_request').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
}

/** Decides a request once: false when it was no longer pending (another approver was first). */
export async function decideAdjustmentRequest(db: Q, id: number, patch: Updateable<AdjustmentRequestTable>): Promise<boolean> {
  const res = await db.updateTable('adjustment_request').set(patch).where('id', '=', id).where('status', '=', 'pending').executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export function listAdjustmentRequests(db: Q, filter: { status: string; memberId?: number; limit: number }) {
  let q = db.selectFrom('adjustment_request').selectAll().where('status', '=', filter.status);
  if (filter.memberId !== undefined) q = q.where('member_id', '=', filter.memberId);
  return q.orderBy('requested_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}

export function adjustmentRequestsOfMember(db: Q, memberId: number, limit: number) {
  return db
    .selectFrom('adjustment_request')
    .selectAll()
    .where('member_id', '=', memberId)
    .orderBy('requested_at', 'desc')
    .limit(limit)
    .execute();
}

export function ledgerEntryByIdem(db: Q, idemHash: Buffer) {
  return db.selectFrom('ledger_entry').select(['id']).where('idem_hash', '=', idemHash).executeTakeFirst();
}
