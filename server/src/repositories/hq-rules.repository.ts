/** Rule set versions for HQ, and what a back-test reads: paid orders and the members' state. */
import type { Kysely } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { Database } from '../db/schema.js';

type Q = Kysely<Database> | Trx;

/** Orders that were paid (refunds included), keyset-paged by (placed_at, id). */
export const PAID_STATUSES = ['paid', 'refunded', 'partially_refunded'] as const;

export function listRuleSets(db: Q, filter: { programId?: number; brandId?: number }) {
  let q = db
    .selectFrom('rule_set')
    .select(['id', 'program_id', 'brand_id', 'version', 'status', 'effective_from', 'created_at', 'created_by'])
    .orderBy('program_id')
    .orderBy('brand_id')
    .orderBy('version', 'desc')
    .limit(500);
  if (filter.programId !== undefined) q = q.where('program_id', '=', filter.programId);
  if (filter.brandId !== undefined) q = q.where('brand_id', '=', filter.brandId);
  return q.execute();
}

export function ruleSetScopes(db: Q, ids: readonly number[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('rule_set').select(['id', 'brand_id']).where('id', 'in', ids).execute();
}

export function paidOrdersPage(
  db: Q,
  f: { programId: number; brandId?: number; from: number; to: number; after: { placedAt: number; id: number } | null; limit: number },
) {
  let q = db
    .selectFrom('pay_order')
    .select([
      'id',
      'brand_id',
      'store_id',
      'member_id',
      'lines',
      'coupon_fen',
      'points_paid_fen',
      'points_earned',
      'rule_set_id',
      'placed_at',
    ])
    .where('status', 'in', PAID_STATUSES)
    .where('placed_at', '>=', f.from)
    .where('placed_at', '<', f.to)
    .where('program_id', '=', f.programId)
    .where('member_id', 'is not', null);
  if (f.brandId !== undefined) q = q.where('brand_id', '=', f.brandId);
  const after = f.after;
  if (after)
    q = q.where((eb) =>
      eb.or([eb('placed_at', '>', after.placedAt), eb.and([eb('placed_at', '=', after.placedAt), eb('id', '>', after.id)])]),
    );
  return q.orderBy('placed_at').orderBy('id').limit(f.limit).execute();
}

/** Each member's first paid order in the program (the "first purchase" of the rules). */
export async function firstPaidOrderAt(db: Q, programId: number, memberIds: readonly number[]): Promise<Map<number, number>> {
  if (memberIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('pay_order')
    .select(['member_id', (eb) => eb.fn.min<number>('placed_at').as('first')])
    .where('member_id', 'in', memberIds)
    .where('program_id', '=', programId)
    .where('status', 'in', PAID_STATUSES)
    .groupBy('member_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.member_id), Number(r.first)]));
}

export function membersForBacktest(db: Q, ids: readonly number[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db.selectFrom('member').select(['id', 'birthday']).where('id', 'in', ids).execute();
}

export function accountsForBacktest(db: Q, programId: number, memberIds: readonly number[]) {
  if (memberIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('account')
    .select(['id', 'member_id', 'tier_code'])
    .where('program_id', '=', programId)
    .where('member_id', 'in', memberIds)
    .execute();
}

export function tierChanges(db: Q, accountIds: readonly number[]) {
  if (accountIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('tier_history')
    .select(['account_id', 'from_code', 'to_code', 'created_at'])
    .where('account_id', 'in', accountIds)
    .orderBy('account_id')
    .orderBy('created_at')
    .execute();
}

export function codesOfProgram(db: Q, programId: number) {
  return db
    .selectFrom('store')
    .innerJoin('brand', 'brand.id', 'store.brand_id')
    .select(['store.id as store_id', 'store.code as store_code', 'brand.id as brand_id', 'brand.code as brand_code'])
    .where('brand.program_id', '=', programId)
    .execute();
}
