/**
 * Claims of receipt and product codes, product code batches, the codes a POS order carries, and
 * the database-backed rate limiter (shared by every server process behind the balancer).
 */
import type { Kysely, Selectable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import { isDuplicateKeyError } from '../db/dialect.js';
import type { Database, MemberClaimTable, ProductCodeBatchTable } from '../db/schema.js';

export type ProductCodeBatchRow = Selectable<ProductCodeBatchTable>;
export type MemberClaimRow = Selectable<MemberClaimTable>;
type Q = Kysely<Database> | Trx;

/** The JFR1 receipt code of a sale settled without a member. */
export async function setReceiptCode(db: Q, orderId: number, code: string): Promise<void> {
  await db.updateTable('pay_order').set({ receipt_code: code }).where('id', '=', orderId).execute();
}

/** The JFO1 order code a kiosk shows for a wechat_jsapi order. */
export async function setOrderCode(db: Q, orderId: number, code: string): Promise<void> {
  await db.updateTable('pay_order').set({ order_code: code }).where('id', '=', orderId).execute();
}

/** A claimed receipt: the sale now belongs to the member, so a later refund reverses these points. */
export async function assignClaimedOrder(
  trx: Trx,
  orderId: number,
  patch: { memberId: number; earnEntryId: number; pointsEarned: number; now: number },
): Promise<void> {
  await trx
    .updateTable('pay_order')
    .set({ member_id: patch.memberId, earn_entry_id: patch.earnEntryId, points_earned: patch.pointsEarned, updated_at: patch.now })
    .where('id', '=', orderId)
    .execute();
}

export function storeAndBrandCodes(db: Q, storeId: number) {
  return db
    .selectFrom('store')
    .innerJoin('brand', 'brand.id', 'store.brand_id')
    .select(['store.code as storeCode', 'brand.code as brandCode'])
    .where('store.id', '=', storeId)
    .executeTakeFirst();
}

export async function insertBatch(db: Q, row: ProductCodeBatchRow): Promise<void> {
  await db.insertInto('product_code_batch').values(row).execute();
}

export function findBatch(db: Q, id: number): Promise<ProductCodeBatchRow | undefined> {
  return db.selectFrom('product_code_batch').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function setBatchStatus(db: Q, id: number, status: 'active' | 'void'): Promise<boolean> {
  const res = await db.updateTable('product_code_batch').set({ status }).where('id', '=', id).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export function findClaimByRef(db: Q, codeRef: string): Promise<MemberClaimRow | undefined> {
  return db.selectFrom('member_claim').selectAll().where('code_ref', '=', codeRef).executeTakeFirst();
}

/** Throws a duplicate-key error when the code was claimed already (the unique code_ref decides). */
export async function insertClaim(db: Q, row: MemberClaimRow): Promise<void> {
  await db.insertInto('member_claim').values(row).execute();
}

export async function setClaimEntry(db: Q, id: number, entryId: number): Promise<void> {
  await db.updateTable('member_claim').set({ entry_id: entryId }).where('id', '=', id).execute();
}

/** Claims of one kind by a member since `since` (the member_claim_member index). */
export async function countClaimsSince(db: Q, memberId: number, kind: string, since: number): Promise<number> {
  const row = await db
    .selectFrom('member_claim')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('member_id', '=', memberId)
    .where('kind', '=', kind)
    .where('claimed_at', '>=', since)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export function claimsOfMember(db: Q, memberId: number): Promise<MemberClaimRow[]> {
  return db.selectFrom('member_claim').selectAll().where('member_id', '=', memberId).orderBy('claimed_at', 'desc').execute();
}

/**
 * Counts one hit in `bucket`'s fixed window and says whether it is within `limit`. Every step is a
 * single-row statement (no read-then-write), so concurrent hits on any number of servers never let
 * more than `limit` through in one window: bump within the window, else move the window, else create.
 */
export async function hitRateLimit(db: Q, bucket: string, windowMs: number, limit: number, now: number): Promise<boolean> {
  const windowStart = now - (now % windowMs);
  for (let attempt = 0; attempt < 3; attempt++) {
    const bumped = await db
      .updateTable('rate_limit')
      .set((eb) => ({ hits: eb('hits', '+', 1) }))
      .where('bucket', '=', bucket)
      .where('window_start', '=', windowStart)
      .where('hits', '<', limit)
      .executeTakeFirst();
    if (Number(bumped.numUpdatedRows) === 1) return true;
    const moved = await db
      .updateTable('rate_limit')
      .set({ window_start: windowStart, hits: 1 })
      .where('bucket', '=', bucket)
      .where('window_start', '<', windowStart)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 1) return true;
    const exists = await db.selectFrom('rate_limit').select('bucket').where('bucket', '=', bucket).executeTakeFirst();
    if (exists) return false;
    try {
      await db.insertInto('rate_limit').values({ bucket, window_start: windowStart, hits: 1 }).execute();
      return true;
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
    }
  }
  return false;
}
