/** Rewards (the catalogue) and the vouchers members redeem them for. */
import type { Kysely, Selectable } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Trx } from '../db/dialect.js';
import type { Database, RewardTable, VoucherTable } from '../db/schema.js';

export type RewardRow = Selectable<RewardTable>;
export type VoucherRow = Selectable<VoucherTable>;
type Q = Kysely<Database> | Trx;

export async function insertReward(db: Q, row: RewardRow): Promise<void> {
  await db.insertInto('reward').values(row).execute();
}

export function findReward(db: Q, id: number): Promise<RewardRow | undefined> {
  return db.selectFrom('reward').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The reward row, locked for the rest of the transaction on MySQL (SQLite's writer lock already serialises). */
export function lockReward(trx: Trx, dialect: DialectName, id: number): Promise<RewardRow | undefined> {
  const q = trx.selectFrom('reward').selectAll().where('id', '=', id);
  return (dialect === 'mysql' ? q.forUpdate() : q).executeTakeFirst();
}

export function activeRewards(db: Q, programId: number): Promise<RewardRow[]> {
  return db
    .selectFrom('reward')
    .selectAll()
    .where('program_id', '=', programId)
    .where('active', '=', 1)
    .orderBy('sort_order')
    .orderBy('points_cost')
    .orderBy('id')
    .execute();
}

export async function countRewards(db: Q, programId: number): Promise<number> {
  const row = await db
    .selectFrom('reward')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('program_id', '=', programId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Takes one item from a limited stock; false when none is left (the condition is the guard). */
export async function takeStock(trx: Trx, rewardId: number): Promise<boolean> {
  const res = await trx
    .updateTable('reward')
    .set((eb) => ({ stock: eb('stock', '-', 1) }))
    .where('id', '=', rewardId)
    .where('stock', '>', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function countVouchersOf(db: Q, memberId: number, rewardId: number): Promise<number> {
  const row = await db
    .selectFrom('voucher')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('reward_id', '=', rewardId)
    .where('member_id', '=', memberId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** How many vouchers the member holds per reward (for the catalogue's "redeemed by me"). */
export async function voucherCountsOf(db: Q, memberId: number): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('voucher')
    .select((eb) => ['reward_id', eb.fn.countAll<number | string>().as('n')])
    .where('member_id', '=', memberId)
    .groupBy('reward_id')
    .execute();
  return new Map(rows.map((r) => [r.reward_id, Number(r.n)]));
}

export async function insertVoucher(db: Q, row: VoucherRow): Promise<void> {
  await db.insertInto('voucher').values(row).execute();
}

export function findVoucherByIdem(db: Q, idemHash: string): Promise<VoucherRow | undefined> {
  return db.selectFrom('voucher').selectAll().where('idem_hash', '=', idemHash).executeTakeFirst();
}

export function findVoucherById(db: Q, id: number): Promise<VoucherRow | undefined> {
  return db.selectFrom('voucher').selectAll().where('id', '=', id).executeTakeFirst();
}

export function vouchersOfMember(db: Q, memberId: number) {
  return db
    .selectFrom('voucher')
    .innerJoin('reward', 'reward.id', 'voucher.reward_id')
    .selectAll('voucher')
    .select('reward.name as reward_name')
    .where('voucher.member_id', '=', memberId)
    .orderBy('voucher.created_at', 'desc')
    .execute();
}

/** Marks an active, unexpired voucher used; false when it was used or expired (compare-and-set). */
export async function useVoucher(db: Q, id: number, usedBy: string, now: number): Promise<boolean> {
  const res = await db
    .updateTable('voucher')
    .set({ status: 'used', used_at: now, used_by: usedBy })
    .where('id', '=', id)
    .where('status', '=', 'active')
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export function accountOf(db: Q, memberId: number, programId: number) {
  return db
    .selectFrom('account')
    .select(['id', 'available', 'tier_code'])
    .where('member_id', '=', memberId)
    .where('program_id', '=', programId)
    .executeTakeFirst();
}

export function tierOfAccount(db: Q, accountId: number) {
  return db.selectFrom('account').select('tier_code').where('id', '=', accountId).executeTakeFirstOrThrow();
}

/** The program a store's brand belongs to. */
export async function programOfStore(db: Q, storeId: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('store')
    .innerJoin('brand', 'brand.id', 'store.brand_id')
    .select('brand.program_id')
    .where('store.id', '=', storeId)
    .executeTakeFirst();
  return row?.program_id;
}
