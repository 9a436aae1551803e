/**
 * The group structure, members, the points ledger and its lots, rule sets, tiers, audit and job
 * leases. Runs unchanged on SQLite and MySQL/MariaDB (and TiDB): no triggers, no AUTO_INCREMENT,
 * no foreign-key reliance; times are BIGINT epoch milliseconds; keys are binary-collated.
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { createTableFor } from './helpers.js';

export function migration0001(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const table = createTableFor(db, dialect);

      await table('program')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('code', 'varchar(32)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('point_value_fen', 'integer', (c) => c.notNull())
        .addColumn('expiry_policy', 'text', (c) => c.notNull())
        .addColumn('return_window_days', 'integer', (c) => c.notNull())
        .addColumn('tier_set', 'text', (c) => c.notNull())
        .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await table('brand')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('code', 'varchar(32)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await table('store')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('code', 'varchar(32)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('brand_id', 'bigint', (c) => c.notNull())
        .addColumn('address', 'varchar(255)', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('store_brand').on('store').column('brand_id').execute();

      await table('terminal')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('store_id', 'bigint', (c) => c.notNull())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('revoked_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await table('staff')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('username', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
        .addColumn('role', 'varchar(32)', (c) => c.notNull())
        .addColumn('store_id', 'bigint')
        .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('locked_until', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await table('staff_session')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('staff_id', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await table('member')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('openid', 'varchar(128)', (c) => c.unique())
        .addColumn('unionid', 'varchar(128)')
        .addColumn('phone_enc', 'varchar(255)')
        .addColumn('phone_hash', 'varchar(64)', (c) => c.unique())
        .addColumn('name', 'varchar(64)')
        .addColumn('birthday', 'varchar(5)')
        .addColumn('consent_version', 'varchar(32)')
        .addColumn('referral_code', 'varchar(16)', (c) => c.notNull().unique())
        .addColumn('referred_by', 'bigint')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('member_unionid').on('member').column('unionid').execute();
      await db.schema.createIndex('member_birthday').on('member').column('birthday').execute();

      await table('account')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('member_id', 'bigint', (c) => c.notNull())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        .addColumn('available', 'bigint', (c) => c.notNull())
        .addColumn('pending', 'bigint', (c) => c.notNull())
        .addColumn('held', 'bigint', (c) => c.notNull())
        .addColumn('lifetime_earned', 'bigint', (c) => c.notNull())
        .addColumn('growth', 'bigint', (c) => c.notNull())
        .addColumn('tier_code', 'varchar(32)', (c) => c.notNull())
        .addColumn('tier_since', 'bigint', (c) => c.notNull())
        .addColumn('tier_warned_at', 'bigint')
        .addColumn('entry_seq', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('account_member_program', ['member_id', 'program_id'])
        .execute();

      // Clustered by (account_id, entry_seq): inserts spread by random account id and a member's
      // history stays contiguous. idem_hash is the 32-byte SHA-256 of (source, key), so even date-shaped keys
      // such as WeChat transaction ids index in random order.
      await table('ledger_entry')
        .addColumn('account_id', 'bigint', (c) => c.notNull())
        .addColumn('entry_seq', 'bigint', (c) => c.notNull())
        .addColumn('id', 'bigint', (c) => c.notNull().unique())
        .addColumn('idem_hash', 'binary(32)', (c) => c.notNull().unique())
        .addColumn('input_hash', 'binary(32)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('pending_delta', 'bigint', (c) => c.notNull())
        .addColumn('held_delta', 'bigint', (c) => c.notNull())
        .addColumn('growth_delta', 'bigint', (c) => c.notNull())
        .addColumn('available_after', 'bigint', (c) => c.notNull())
        .addColumn('pending_after', 'bigint', (c) => c.notNull())
        .addColumn('held_after', 'bigint', (c) => c.notNull())
        .addColumn('lot_id', 'bigint')
        .addColumn('ref_entry_id', 'bigint')
        .addColumn('order_ref', 'varchar(64)')
        .addColumn('reason', 'varchar(255)', (c) => c.notNull())
        .addColumn('trace', 'text')
        .addColumn('actor', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_entry_pk', ['account_id', 'entry_seq'])
        .execute();
      await db.schema.createIndex('ledger_entry_account_time').on('ledger_entry').columns(['account_id', 'created_at']).execute();
      await db.schema.createIndex('ledger_entry_order').on('ledger_entry').column('order_ref').execute();
      await db.schema.createIndex('ledger_entry_ref').on('ledger_entry').column('ref_entry_id').execute();

      await table('lot')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('account_id', 'bigint', (c) => c.notNull())
        .addColumn('source_entry_id', 'bigint', (c) => c.notNull().unique())
        .addColumn('original', 'bigint', (c) => c.notNull())
        .addColumn('remaining', 'bigint', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('earned_at', 'bigint', (c) => c.notNull())
        .addColumn('release_at', 'bigint')
        .addColumn('expires_at', 'bigint')
        .addColumn('spend_order', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('lot_account_spend').on('lot').columns(['account_id', 'status', 'spend_order']).execute();
      await db.schema.createIndex('lot_expiry').on('lot').columns(['expires_at', 'account_id']).execute();
      await db.schema.createIndex('lot_release').on('lot').columns(['status', 'release_at']).execute();

      await table('lot_movement')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('account_id', 'bigint', (c) => c.notNull())
        .addColumn('lot_id', 'bigint', (c) => c.notNull())
        .addColumn('entry_id', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('excused', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('lot_movement_entry').on('lot_movement').column('entry_id').execute();
      await db.schema.createIndex('lot_movement_lot').on('lot_movement').column('lot_id').execute();

      await table('hold')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('account_id', 'bigint', (c) => c.notNull())
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('hold_entry_id', 'bigint', (c) => c.notNull().unique())
        .addColumn('settle_entry_id', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('hold_account').on('hold').column('account_id').execute();

      await table('rule_set')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        .addColumn('brand_id', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('rules', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('effective_from', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'varchar(64)')
        .addUniqueConstraint('rule_set_version', ['program_id', 'brand_id', 'version'])
        .execute();

      await table('tier_history')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('account_id', 'bigint', (c) => c.notNull())
        .addColumn('from_code', 'varchar(32)')
        .addColumn('to_code', 'varchar(32)', (c) => c.notNull())
        .addColumn('reason', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tier_history_account').on('tier_history').columns(['account_id', 'created_at']).execute();

      await table('audit_log')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('actor', 'varchar(64)', (c) => c.notNull())
        .addColumn('action', 'varchar(64)', (c) => c.notNull())
        .addColumn('target', 'varchar(128)', (c) => c.notNull())
        .addColumn('before_state', 'text')
        .addColumn('after_state', 'text')
        .addColumn('ip', 'varchar(64)')
        .addColumn('request_id', 'varchar(64)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_target').on('audit_log').columns(['target', 'created_at']).execute();
      await db.schema.createIndex('audit_log_actor').on('audit_log').columns(['actor', 'created_at']).execute();

      await table('exchange_rate')
        .addColumn('from_program_id', 'bigint', (c) => c.notNull())
        .addColumn('to_program_id', 'bigint', (c) => c.notNull())
        .addColumn('from_points', 'integer', (c) => c.notNull())
        .addColumn('to_points', 'integer', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('exchange_rate_pk', ['from_program_id', 'to_program_id'])
        .execute();

      await table('job_lease')
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('owner', 'varchar(64)', (c) => c.notNull())
        .addColumn('lease_until', 'bigint', (c) => c.notNull())
        .addColumn('fence', 'bigint', (c) => c.notNull())
        .execute();
    },

    async down(db: Kysely<any>): Promise<void> {
      for (const t of [
        'job_lease',
        'exchange_rate',
        'audit_log',
        'tier_history',
        'rule_set',
        'hold',
        'lot_movement',
        'lot',
        'ledger_entry',
        'account',
        'member',
        'staff_session',
        'staff',
        'terminal',
        'store',
        'brand',
        'program',
      ]) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  };
}
