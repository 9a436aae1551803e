/**
 * The member (mini-program) API: sessions, product code batches and claims, rate-limit counters,
 * rewards and vouchers, subscribe-message answers, and the two codes a POS order can carry (the
 * receipt claim code and the order QR). Same portability rules as 0001.
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { createTableFor } from './helpers.js';

export function migration0003(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const table = createTableFor(db, dialect);

      await table('member_session')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('openid', 'varchar(128)', (c) => c.notNull())
        .addColumn('unionid', 'varchar(128)')
        .addColumn('member_id', 'bigint')
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('member_session_openid').on('member_session').columns(['openid', 'expires_at']).execute();
      await db.schema.createIndex('member_session_member').on('member_session').column('member_id').execute();

      await table('product_code_batch')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        .addColumn('sku', 'varchar(64)', (c) => c.notNull())
        .addColumn('name', 'varchar(60)', (c) => c.notNull())
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('code_count', 'integer', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await table('member_claim')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('member_id', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('code_ref', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('order_id', 'bigint')
        .addColumn('batch_id', 'bigint')
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('entry_id', 'bigint')
        .addColumn('claimed_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('member_claim_member').on('member_claim').columns(['member_id', 'kind', 'claimed_at']).execute();

      await table('rate_limit')
        .addColumn('bucket', 'varchar(96)', (c) => c.primaryKey())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('hits', 'integer', (c) => c.notNull())
        .execute();

      await table('reward')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('description', 'varchar(255)', (c) => c.notNull())
        .addColumn('points_cost', 'bigint', (c) => c.notNull())
        .addColumn('stock', 'bigint')
        .addColumn('per_member_limit', 'integer')
        .addColumn('tiers', 'text', (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('reward_program').on('reward').columns(['program_id', 'active']).execute();

      await table('voucher')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('code', 'varchar(128)', (c) => c.notNull().unique())
        .addColumn('reward_id', 'bigint', (c) => c.notNull())
        .addColumn('member_id', 'bigint', (c) => c.notNull())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        .addColumn('idem_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('debit_entry_id', 'bigint', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('used_by', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('voucher_member').on('voucher').columns(['member_id', 'created_at']).execute();
      await db.schema.createIndex('voucher_reward_member').on('voucher').columns(['reward_id', 'member_id']).execute();

      await table('member_subscription')
        .addColumn('member_id', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'varchar(32)', (c) => c.notNull())
        .addColumn('accepted', 'integer', (c) => c.notNull())
        .addColumn('rejected', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('member_subscription_pk', ['member_id', 'kind'])
        .execute();

      await db.schema.alterTable('pay_order').addColumn('receipt_code', 'varchar(128)').execute();
      await db.schema.alterTable('pay_order').addColumn('order_code', 'varchar(128)').execute();
    },

    async down(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('pay_order').dropColumn('order_code').execute();
      await db.schema.alterTable('pay_order').dropColumn('receipt_code').execute();
      for (const t of ['member_subscription', 'voucher', 'reward', 'rate_limit', 'member_claim', 'product_code_batch', 'member_session']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  };
}
