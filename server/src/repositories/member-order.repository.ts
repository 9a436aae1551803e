/** Orders as the member sees them: one order opened from the kiosk's QR, and the member's own orders. */
import type { Kysely } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { Database } from '../db/schema.js';

type Q = Kysely<Database> | Trx;

export function findOrderWithStore(db: Q, orderId: number) {
  return db
    .selectFrom('pay_order')
    .innerJoin('store', 'store.id', 'pay_order.store_id')
    .innerJoin('brand', 'brand.id', 'pay_order.brand_id')
    .selectAll('pay_order')
    .select(['store.name as store_name', 'store.code as store_code', 'brand.code as brand_code'])
    .where('pay_order.id', '=', orderId)
    .executeTakeFirst();
}

/** The shopper paying in the mini-program becomes the order's member, unless it already has one. */
export async function assignMemberIfNone(db: Q, orderId: number, memberId: number, now: number): Promise<boolean> {
  const res = await db
    .updateTable('pay_order')
    .set({ member_id: memberId, updated_at: now })
    .where('id', '=', orderId)
    .where('member_id', 'is', null)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export function ordersOfMember(db: Q, memberId: number) {
  return db
    .selectFrom('pay_order')
    .innerJoin('store', 'store.id', 'pay_order.store_id')
    .select([
      'pay_order.id',
      'pay_order.placed_at',
      'pay_order.status',
      'pay_order.amount_fen',
      'pay_order.points_earned',
      'pay_order.points_paid',
      'store.name as store_name',
    ])
    .where('pay_order.member_id', '=', memberId)
    .orderBy('pay_order.placed_at', 'desc')
    .execute();
}
