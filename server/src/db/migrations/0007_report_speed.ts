/**
 * Report speed at a million members (issue 6, part B: every report within 2 s on MariaDB with 1M
 * members and 10M ledger entries). Same portability rules as 0001: additive, one object per step.
 *
 * - `pay_order_member_report (member_id, placed_at, status, program_id, brand_id, store_id,
 *   amount_fen, refunded_fen)`: the member reports (repurchase, interval, RFM) aggregate orders per
 *   member. Read in member order from an index that holds every column they need, the grouping
 *   streams (no temporary table of a million groups) and no order row is looked up. Led by the random
 *   member id, so inserts land anywhere.
 * - `pay_order_period_report (status, placed_at, member_id, program_id, brand_id, store_id,
 *   amount_fen, refunded_fen)`: the same over a short range (buyers per day, a month's RFM), read from
 *   the range alone and sorted, where the member-ordered index would be read whole. Led by the
 *   status, like `pay_order_status`.
 * - `tier_history_report (to_code, created_at, from_code, account_id)`: tier moves in a range
 *   without a lookup per move (tier changes are rare writes).
 * - `account_program_tier (program_id, tier_code)`: the tier distribution counts a million accounts;
 *   from this index it reads two short columns instead of every account row. The tier changes a few
 *   times in a member's life, so the index is rarely written.
 * - `nps_response_report (created_at, brand_id, store_id, score)`: NPS over a range without a row
 *   lookup per answer (answers are written a few per purchase at most).
 * - `report_tier_day`: tier moves per day, program and (from, to), kept by the rollup like the other
 *   daily summaries (a move counted once, read without a lookup of its account).
 * - `report_member_active_day (member_id, day)`: the days on which a member did anything with their
 *   points (earned, spent, held, exchanged), kept by the rollup. The red churn warning asks "nothing
 *   in the 30 days before the end?" for every buyer of the range: one short read of this table each,
 *   instead of a walk through their ledger entries. Keyed by the random member id first.
 * - `report_rollup`: emptied, so the rollup summarises every day again and fills the new tables.
 * - `report_rollup.partial_until`: the rollup also summarises the open day up to this instant, so a
 *   report reads at most the last hour or so live from the ledger instead of the whole day so far.
 *   Those summary rows are written under `day` = −(partial_until in minutes), a new key each time,
 *   and kept a while after a newer one: a report that read the watermark a moment before the job
 *   moved it still finds the rows that match it.
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { createTableFor } from './helpers.js';

export function migration0007(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const table = createTableFor(db, dialect);
      await db.schema
        .createIndex('pay_order_member_report')
        .on('pay_order')
        .columns(['member_id', 'placed_at', 'status', 'program_id', 'brand_id', 'store_id', 'amount_fen', 'refunded_fen'])
        .execute();
      await db.schema
        .createIndex('pay_order_period_report')
        .on('pay_order')
        .columns(['status', 'placed_at', 'member_id', 'program_id', 'brand_id', 'store_id', 'amount_fen', 'refunded_fen'])
        .execute();
      await db.schema
        .createIndex('tier_history_report')
        .on('tier_history')
        .columns(['to_code', 'created_at', 'from_code', 'account_id'])
        .execute();
      await db.schema.createIndex('account_program_tier').on('account').columns(['program_id', 'tier_code']).execute();
      await db.schema
        .createIndex('nps_response_report')
        .on('nps_response')
        .columns(['created_at', 'brand_id', 'store_id', 'score'])
        .execute();
      await table('report_tier_day')
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        // '' for a first tier (no tier before it).
        .addColumn('from_code', 'varchar(32)', (c) => c.notNull())
        .addColumn('to_code', 'varchar(32)', (c) => c.notNull())
        .addColumn('members', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('report_tier_day_pk', ['day', 'program_id', 'from_code', 'to_code'])
        .execute();
      await table('report_member_active_day')
        .addColumn('member_id', 'bigint', (c) => c.notNull())
        .addColumn('day', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('report_member_active_day_pk', ['member_id', 'day'])
        .execute();
      // The rollup rewrites a day at a time.
      await db.schema.createIndex('report_member_active_day_day').on('report_member_active_day').column('day').execute();
      await db.schema.alterTable('report_rollup').addColumn('partial_until', 'bigint').execute();
      // The two new summaries start empty: the rollup summarises every day again from the first
      // (each day is deleted and rewritten, so nothing is counted twice).
      await db.deleteFrom('report_rollup').execute();
    },

    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('report_rollup').dropColumn('partial_until').execute();
      await db.schema.dropTable('report_member_active_day').ifExists().execute();
      await db.schema.dropTable('report_tier_day').ifExists().execute();
      for (const [index, on] of [
        ['nps_response_report', 'nps_response'],
        ['account_program_tier', 'account'],
        ['tier_history_report', 'tier_history'],
        ['pay_order_period_report', 'pay_order'],
        ['pay_order_member_report', 'pay_order'],
      ] as const) {
        const drop = db.schema.dropIndex(index);
        await (dialect === 'mysql' ? drop.on(on) : drop).execute();
      }
    },
  };
}
