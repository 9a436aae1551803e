/** The rewards catalogue and product-code batches as HQ manages them. */
import { sql } from 'kysely';
import type { Kysely, Updateable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { Database, RewardTable } from '../db/schema.js';

type Q = Kysely<Database> | Trx;

export function listRewards(db: Q, filter: { programId?: number; includeInactive?: boolean }) {
  let q = db
    .selectFrom('reward')
    .innerJoin('program', 'program.id', 'reward.program_id')
    .selectAll('reward')
    .select('program.code as program_code')
    .orderBy('program.code')
    .orderBy('reward.sort_order')
    .orderBy('reward.id')
    .limit(1000);
  if (filter.programId !== undefined) q = q.where('reward.program_id', '=', filter.programId);
  if (!filter.includeInactive) q = q.where('reward.active', '=', 1);
  return q.execute();
}

export function rewardWithProgram(db: Q, id: number) {
  return db
    .selectFrom('reward')
    .innerJoin('program', 'program.id', 'reward.program_id')
    .selectAll('reward')
    .select('program.code as program_code')
    .where('reward.id', '=', id)
    .executeTakeFirst();
}

/** Vouchers issued per reward (redemptions so far). */
export async function vouchersIssued(db: Q, rewardIds: readonly number[]): Promise<Map<number, number>> {
  if (rewardIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('voucher')
    .select(['reward_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('reward_id', 'in', rewardIds)
    .groupBy('reward_id')
    .execute();
  return new Map(rows.map((r) => [r.reward_id, Number(r.n)]));
}

export async function updateReward(db: Q, id: number, patch: Updateable<RewardTable>): Promise<void> {
  await db.updateTable('reward').set(patch).where('id', '=', id).execute();
}

/** Adds (or removes) limited stock in one statement, so it composes with concurrent redemptions; false when it would go below zero. */
export async function addStock(db: Q, id: number, delta: number, now: number): Promise<boolean> {
  const res = await db
    .updateTable('reward')
    .set({ stock: sql<number>`stock + ${delta}`, updated_at: now })
    .where('id', '=', id)
    .where('stock', 'is not', null)
    .where(sql<boolean>`stock + ${delta} >= 0`)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export function listBatches(db: Q, limit: number) {
  return db
    .selectFrom('product_code_batch')
    .innerJoin('program', 'program.id', 'product_code_batch.program_id')
    .selectAll('product_code_batch')
    .select('program.code as program_code')
    .orderBy('product_code_batch.created_at', 'desc')
    .limit(limit)
    .execute();
}

export function batchWithProgram(db: Q, id: number) {
  return db
    .selectFrom('product_code_batch')
    .innerJoin('program', 'program.id', 'product_code_batch.program_id')
    .selectAll('product_code_batch')
    .select('program.code as program_code')
    .where('product_code_batch.id', '=', id)
    .executeTakeFirst();
}

/** Claims per batch (batch_id is set on product claims). */
export async function claimsPerBatch(db: Q, batchIds: readonly number[]): Promise<Map<number, number>> {
  if (batchIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('member_claim')
    .select(['batch_id', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('batch_id', 'in', batchIds)
    .groupBy('batch_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.batch_id), Number(r.n)]));
}
