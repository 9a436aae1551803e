/**
 * Member service for HQ: lookups, the member's whole picture, frozen accounts and merges. Only
 * SQL here; commands/hq-members.ts holds the rules.
 */
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { Database, MemberMergeTable } from '../db/schema.js';

type Q = Kysely<Database> | Trx;
export type MemberMergeRow = Selectable<MemberMergeTable>;

/** `frozen_at` is write-only in the row type (see AccountFreezeColumns): read by name. */
export function accountsWithFreeze(db: Q, memberId: number) {
  return db
    .selectFrom('account')
    .innerJoin('program', 'program.id', 'account.program_id')
    .select([
      'account.id',
      'account.program_id',
      'program.code as program_code',
      'account.available',
      'account.pending',
      'account.held',
      'account.lifetime_earned',
      'account.growth',
      'account.tier_code',
      'account.entry_seq',
      sql<number | null>`account.frozen_at`.as('frozen_at'),
    ])
    .where('account.member_id', '=', memberId)
    .orderBy('program.code')
    .execute();
}

/** Sets or clears frozen_at on the given accounts; returns how many changed. */
export async function setFrozen(db: Q, accountIds: readonly number[], frozenAtValue: number | null): Promise<number> {
  if (accountIds.length === 0) return 0;
  const res = await db
    .updateTable('account')
    .set({ frozen_at: frozenAtValue })
    .where('id', 'in', accountIds)
    .where(frozenAtValue === null ? sql<boolean>`frozen_at is not null` : sql<boolean>`frozen_at is null`)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export function recentEntries(db: Q, accountIds: readonly number[], limit: number) {
  if (accountIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('ledger_entry')
    .select([
      'id',
      'account_id',
      'kind',
      'points',
      'pending_delta',
      'available_after',
      'reason',
      'order_ref',
      'actor',
      'created_at',
      'entry_seq',
    ])
    .where('account_id', 'in', accountIds)
    .orderBy('created_at', 'desc')
    .orderBy('entry_seq', 'desc')
    .limit(limit)
    .execute();
}

export function recentOrders(db: Q, memberId: number, limit: number) {
  return db
    .selectFrom('pay_order')
    .innerJoin('store', 'store.id', 'pay_order.store_id')
    .select([
      'pay_order.id',
      'pay_order.out_trade_no',
      'pay_order.status',
      'store.code as store_code',
      'pay_order.amount_fen',
      'pay_order.points_earned',
      'pay_order.points_paid',
      'pay_order.refunded_fen',
      'pay_order.placed_at',
    ])
    .where('pay_order.member_id', '=', memberId)
    .orderBy('pay_order.placed_at', 'desc')
    .limit(limit)
    .execute();
}

export function tierHistoryOf(db: Q, accountIds: readonly number[], limit: number) {
  if (accountIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('tier_history')
    .select(['account_id', 'from_code', 'to_code', 'reason', 'created_at'])
    .where('account_id', 'in', accountIds)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}

export function vouchersOf(db: Q, memberId: number, limit: number) {
  return db
    .selectFrom('voucher')
    .innerJoin('reward', 'reward.id', 'voucher.reward_id')
    .select(['voucher.id', 'reward.name as reward_name', 'voucher.points', 'voucher.status', 'voucher.expires_at', 'voucher.used_at'])
    .where('voucher.member_id', '=', memberId)
    .orderBy('voucher.created_at', 'desc')
    .limit(limit)
    .execute();
}

export function claimsOf(db: Q, memberId: number, limit: number) {
  return db
    .selectFrom('member_claim')
    .select(['kind', 'code_ref', 'points', 'claimed_at'])
    .where('member_id', '=', memberId)
    .orderBy('claimed_at', 'desc')
    .limit(limit)
    .execute();
}

export function findMergeOf(db: Q, sourceMemberId: number): Promise<MemberMergeRow | undefined> {
  return db.selectFrom('member_merge').selectAll().where('source_member_id', '=', sourceMemberId).executeTakeFirst();
}

export async function mergedInto(db: Q, targetMemberId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('member_merge')
    .select('source_member_id')
    .where('target_member_id', '=', targetMemberId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => r.source_member_id);
}

export async function insertMerge(db: Q, row: MemberMergeRow): Promise<void> {
  await db.insertInto('member_merge').values(row).execute();
}

/** Marks the source merged and hands its WeChat identity to the target when the target has none. */
export async function markMerged(db: Q, sourceId: number): Promise<void> {
  await db.updateTable('member').set({ status: 'merged' }).where('id', '=', sourceId).execute();
}

export async function moveWechatIdentity(db: Q, sourceId: number, targetId: number, openid: string, unionid: string | null): Promise<void> {
  // openid is unique: clear it on the source before the target takes it.
  await db.updateTable('member').set({ openid: null, unionid: null }).where('id', '=', sourceId).execute();
  await db.updateTable('member').set({ openid, unionid }).where('id', '=', targetId).where('openid', 'is', null).execute();
}
