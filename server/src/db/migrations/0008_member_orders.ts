/**
 * The members report over long ranges.
 * - `report_order_day.member_orders`, `member_amount_fen`: the paid orders of identified members per
 *   day, program, brand and store, so the report's orders and amounts per period are read from the
 *   daily summary rather than counted again from the orders of the whole range.
 * - `report_rollup`: emptied, so the rollup summarises every day again and fills the new columns
 *   (each day is deleted and rewritten, so nothing is counted twice; until it has, reports read the
 *   days it has not reached from the orders, as before the first rollup).
 */
import type { Kysely } from 'kysely';

export function migration0008() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .alterTable('report_order_day')
        .addColumn('member_orders', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('report_order_day')
        .addColumn('member_amount_fen', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.deleteFrom('report_rollup').execute();
    },

    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('report_order_day').dropColumn('member_amount_fen').execute();
      await db.schema.alterTable('report_order_day').dropColumn('member_orders').execute();
    },
  };
}
