/**
 * HQ reports, NPS and the legacy member import (issue 6, part B). Same portability rules as 0001.
 *
 * Indexes, and why these (scale-out.md rule 3: no write-heavy index led by a time column alone):
 * - `ledger_entry (kind, created_at)`: the rollup job and the live tail of every report read one
 *   China day of entries at a time. Led by the entry kind, like `pay_order (status, placed_at)`
 *   already is, so inserts land at the tails of a dozen ranges instead of one. Reports never scan
 *   the ledger itself: they read the daily summaries below, which the rollup job writes once per
 *   closed day, and only the days after its watermark (normally today) live through this index.
 * - `member (created_at)` and `tier_history (to_code, created_at)`: new members and tier moves in a
 *   range. Both tables are written at signup / tier-change rates (a few per second at most), not
 *   per posting, so a time-ordered index is no hotspot there; tier_history is still led by the tier.
 * - `pay_order (status, placed_at)` (0002) already serves orders by day; nothing is added to it.
 *
 * The summaries are small (days × programs × brands/stores × kinds) and keyed by day first because
 * they are written a day at a time by one job, never by the posting path.
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { createTableFor } from './helpers.js';

export function migration0005(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const table = createTableFor(db, dialect);

      await db.schema.createIndex('ledger_entry_kind_time').on('ledger_entry').columns(['kind', 'created_at']).execute();
      await db.schema.createIndex('member_created').on('member').column('created_at').execute();
      await db.schema.createIndex('tier_history_to_time').on('tier_history').columns(['to_code', 'created_at']).execute();

      await table('report_ledger_day')
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        .addColumn('brand_id', 'bigint', (c) => c.notNull())
        .addColumn('store_id', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('pending_delta', 'bigint', (c) => c.notNull())
        .addColumn('held_delta', 'bigint', (c) => c.notNull())
        .addColumn('growth_delta', 'bigint', (c) => c.notNull())
        .addColumn('entries', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('report_ledger_day_pk', ['day', 'program_id', 'brand_id', 'store_id', 'kind'])
        .execute();

      await table('report_lot_day')
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        .addColumn('brand_id', 'bigint', (c) => c.notNull())
        .addColumn('store_id', 'bigint', (c) => c.notNull())
        .addColumn('spender_brand_id', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('report_lot_day_pk', ['day', 'program_id', 'brand_id', 'store_id', 'spender_brand_id', 'kind'])
        .execute();

      await table('report_order_day')
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        .addColumn('brand_id', 'bigint', (c) => c.notNull())
        .addColumn('store_id', 'bigint', (c) => c.notNull())
        .addColumn('orders', 'bigint', (c) => c.notNull())
        .addColumn('amount_fen', 'bigint', (c) => c.notNull())
        .addColumn('payer_fen', 'bigint', (c) => c.notNull())
        .addColumn('points_paid', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('report_order_day_pk', ['day', 'program_id', 'brand_id', 'store_id'])
        .execute();

      await table('report_campaign_day')
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        .addColumn('campaign_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('brand_id', 'bigint', (c) => c.notNull())
        .addColumn('store_id', 'bigint', (c) => c.notNull())
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('orders', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('report_campaign_day_pk', ['day', 'program_id', 'campaign_id', 'brand_id', 'store_id'])
        .execute();

      await table('report_rollup')
        .addColumn('name', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('through_day', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await table('nps_response')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('member_id', 'bigint', (c) => c.notNull())
        .addColumn('order_id', 'bigint')
        .addColumn('brand_id', 'bigint', (c) => c.notNull())
        .addColumn('store_id', 'bigint', (c) => c.notNull())
        .addColumn('score', 'integer', (c) => c.notNull())
        .addColumn('comment', 'varchar(500)')
        .addColumn('answer_key', 'varchar(96)', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      // A few answers per purchase at most: written far more rarely than the ledger.
      await db.schema.createIndex('nps_response_time').on('nps_response').column('created_at').execute();
      await db.schema.createIndex('nps_response_member').on('nps_response').column('member_id').execute();

      await table('member_import')
        .addColumn('external_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('member_id', 'bigint', (c) => c.notNull())
        .addColumn('phone_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('program_id', 'bigint', (c) => c.notNull())
        .addColumn('opening_balance', 'bigint', (c) => c.notNull())
        .addColumn('run_id', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('member_import_phone').on('member_import').column('phone_hash').execute();

      await table('import_run')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('actor', 'varchar(64)', (c) => c.notNull())
        .addColumn('dry_run', 'integer', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('rows_done', 'bigint', (c) => c.notNull())
        .addColumn('bad', 'bigint', (c) => c.notNull())
        .addColumn('created', 'bigint', (c) => c.notNull())
        .addColumn('linked', 'bigint', (c) => c.notNull())
        .addColumn('unchanged', 'bigint', (c) => c.notNull())
        .addColumn('points', 'bigint', (c) => c.notNull())
        .addColumn('first_errors', 'text', (c) => c.notNull())
        .addColumn('request_id', 'varchar(64)')
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
      await db.schema.createIndex('import_run_started').on('import_run').columns(['actor', 'started_at']).execute();
    },

    async down(db: Kysely<any>): Promise<void> {
      for (const t of [
        'import_run',
        'member_import',
        'nps_response',
        'report_rollup',
        'report_campaign_day',
        'report_order_day',
        'report_lot_day',
        'report_ledger_day',
      ]) {
        await db.schema.dropTable(t).ifExists().execute();
      }
      for (const [index, on] of [
        ['tier_history_to_time', 'tier_history'],
        ['member_created', 'member'],
        ['ledger_entry_kind_time', 'ledger_entry'],
      ] as const) {
        const drop = db.schema.dropIndex(index);
        await (dialect === 'mysql' ? drop.on(on) : drop).execute();
      }
    },
  };
}
