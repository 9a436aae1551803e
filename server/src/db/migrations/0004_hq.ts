/**
 * HQ admin (issue 6, part A): staff PINs, deactivation and password changes; frozen accounts; the
 * share of an order points may pay, per program; configuration drafts and their published versions;
 * adjustments waiting for a second person's approval; member merges; and the audit log searched by
 * action. Same portability rules as 0001: additive, nullable or defaulted columns, no triggers.
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { createTableFor } from './helpers.js';

export function migration0004(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const table = createTableFor(db, dialect);

      await db.schema.alterTable('staff').addColumn('pin_hash', 'varchar(255)').execute();
      await db.schema.alterTable('staff').addColumn('deactivated_at', 'bigint').execute();
      await db.schema.alterTable('staff').addColumn('password_changed_at', 'bigint').execute();

      // Read with the account row the ledger already locks, so the check costs no extra query.
      await db.schema.alterTable('account').addColumn('frozen_at', 'bigint').execute();

      await db.schema
        .alterTable('program')
        .addColumn('max_points_share_percent', 'integer', (c) => c.notNull().defaultTo(50))
        .execute();

      // A draft of one configuration object (kind + target). Published rows are the object's
      // version history and are never changed again; `version` stays null while it is a draft.
      await table('config_draft')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('target', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('base_version', 'integer', (c) => c.notNull())
        .addColumn('version', 'integer')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('published_by', 'varchar(64)')
        .addColumn('published_at', 'bigint')
        .addColumn('effective_from', 'bigint')
        .addColumn('published_ref', 'bigint')
        .addUniqueConstraint('config_draft_version', ['kind', 'target', 'version'])
        .execute();
      await db.schema.createIndex('config_draft_status').on('config_draft').columns(['kind', 'status', 'target']).execute();

      await table('adjustment_request')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('member_id', 'bigint', (c) => c.notNull())
        .addColumn('program_code', 'varchar(32)')
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'varchar(255)', (c) => c.notNull())
        .addColumn('idempotency_key', 'varchar(128)', (c) => c.notNull().unique())
        .addColumn('input_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('requested_by_id', 'bigint', (c) => c.notNull())
        .addColumn('requested_by', 'varchar(64)', (c) => c.notNull())
        .addColumn('requested_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_by', 'varchar(64)')
        .addColumn('decided_at', 'bigint')
        .addColumn('decision_reason', 'varchar(255)')
        .addColumn('entry_id', 'bigint')
        .execute();
      await db.schema.createIndex('adjustment_request_status').on('adjustment_request').columns(['status', 'requested_at']).execute();
      await db.schema.createIndex('adjustment_request_member').on('adjustment_request').columns(['member_id', 'requested_at']).execute();

      await table('member_merge')
        .addColumn('source_member_id', 'bigint', (c) => c.primaryKey())
        .addColumn('target_member_id', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'varchar(255)', (c) => c.notNull())
        .addColumn('actor', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('member_merge_target').on('member_merge').column('target_member_id').execute();

      await db.schema.createIndex('audit_log_action').on('audit_log').columns(['action', 'created_at']).execute();
    },

    async down(db: Kysely<any>): Promise<void> {
      const dropAuditIndex = db.schema.dropIndex('audit_log_action');
      await (dialect === 'mysql' ? dropAuditIndex.on('audit_log') : dropAuditIndex).execute();
      for (const t of ['member_merge', 'adjustment_request', 'config_draft']) await db.schema.dropTable(t).ifExists().execute();
      await db.schema.alterTable('program').dropColumn('max_points_share_percent').execute();
      await db.schema.alterTable('account').dropColumn('frozen_at').execute();
      await db.schema.alterTable('staff').dropColumn('password_changed_at').execute();
      await db.schema.alterTable('staff').dropColumn('deactivated_at').execute();
      await db.schema.alterTable('staff').dropColumn('pin_hash').execute();
    },
  };
}
