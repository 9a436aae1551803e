/**
 * Orders paid through WeChat Pay (or cash), their refunds, and the outbox of messages to send after
 * a settlement commits. Same portability rules as 0001.
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { createTableFor } from './helpers.js';

export function migration0002(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const table = createTableFor(db, dialect);

      await table('pay_order')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('out_trade_no', 'varchar(32)', (c) => c.notNull().unique())
        .addColumn('client_order_id', 'varchar(64)')
        .addColumn('channel', 'varchar(16)', (c) => c.notNull())
        .addColumn('terminal_id', 'bigint')
        .addColumn('store_id', 'bigint', (c) => c.notNull())
        .addColumn('brand_id', 'bigint', (c) => c.notNull())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        .addColumn('member_id', 'bigint')
        .addColumn('payment_method', 'varchar(16)', (c) => c.notNull())
        .addColumn('status', 'varchar(24)', (c) => c.notNull())
        .addColumn('description', 'varchar(127)', (c) => c.notNull())
        .addColumn('lines', 'text', (c) => c.notNull())
        .addColumn('amount_fen', 'bigint', (c) => c.notNull())
        .addColumn('points_paid', 'bigint', (c) => c.notNull())
        .addColumn('points_paid_fen', 'bigint', (c) => c.notNull())
        .addColumn('payable_fen', 'bigint', (c) => c.notNull())
        .addColumn('hold_id', 'bigint')
        .addColumn('rule_set_id', 'bigint')
        .addColumn('code_url', 'varchar(255)')
        .addColumn('prepay_id', 'varchar(64)')
        .addColumn('transaction_id', 'varchar(32)', (c) => c.unique())
        .addColumn('payer_openid', 'varchar(128)')
        .addColumn('payer_total_fen', 'bigint')
        .addColumn('coupon_fen', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('earn_entry_id', 'bigint')
        .addColumn('points_earned', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('refunded_fen', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('flag', 'varchar(64)')
        .addColumn('placed_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('paid_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('pay_order_client', ['terminal_id', 'client_order_id'])
        .execute();
      await db.schema.createIndex('pay_order_status').on('pay_order').columns(['status', 'placed_at']).execute();
      await db.schema.createIndex('pay_order_member').on('pay_order').columns(['member_id', 'placed_at']).execute();

      await table('refund')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('out_refund_no', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('order_id', 'bigint', (c) => c.notNull())
        .addColumn('amount_fen', 'bigint', (c) => c.notNull())
        .addColumn('wechat_fen', 'bigint', (c) => c.notNull())
        .addColumn('points_returned', 'bigint', (c) => c.notNull())
        .addColumn('points_reversed', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('reason', 'varchar(80)', (c) => c.notNull())
        .addColumn('lines', 'text')
        .addColumn('requested_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('wechat_refund_id', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('settled_at', 'bigint')
        .execute();
      await db.schema.createIndex('refund_order').on('refund').column('order_id').execute();
      await db.schema.createIndex('refund_status').on('refund').columns(['status', 'created_at']).execute();

      await table('outbox')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('dedupe_key', 'varchar(128)', (c) => c.notNull().unique())
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'varchar(255)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('done_at', 'bigint')
        .execute();
      await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at']).execute();
    },

    async down(db: Kysely<any>): Promise<void> {
      for (const t of ['outbox', 'refund', 'pay_order']) await db.schema.dropTable(t).ifExists().execute();
    },
  };
}
