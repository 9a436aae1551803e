/**
 * The POS kiosk's server side: the store catalogue (products per brand, with a store's own price or
 * availability), cashier shifts, and the shift a sale or refund counts toward. Same portability rules
 * as 0001: additive, nullable or defaulted columns, no triggers, no AUTO_INCREMENT.
 *
 * Keys and indexes:
 * - `product`: random id; unique (brand_id, sku) and (brand_id, barcode) — a scan is one read of the
 *   second (NULL barcodes do not collide on either dialect). Quick keys by (brand_id, quick_key).
 * - `store_product`: (store_id, product_id), read beside the product in the same lookup.
 * - `pos_shift`: `open_key` is `<terminal>:<staff>` while the shift is open and NULL once closed, so
 *   the unique key allows one open shift per cashier per till and any number of closed ones.
 * - `pay_order.shift_id`, `refund.shift_id`: random ids, so their indexes take inserts anywhere.
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../connect.js';
import { createTableFor } from './helpers.js';

export function migration0006(dialect: DialectName) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const table = createTableFor(db, dialect);

      await table('product')
        .addColumn('id', 'bigint', (c) => c.primaryKey())
        .addColumn('brand_id', 'bigint', (c) => c.notNull())
        .addColumn('sku', 'varchar(64)', (c) => c.notNull())
        .addColumn('barcode', 'varchar(14)')
        .addColumn('name', 'varchar(60)', (c) => c.notNull())
        .addColumn('initials', 'varchar(32)', (c) => c.notNull().defaultTo(''))
        .addColumn('category', 'varchar(64)')
        .addColumn('unit', 'varchar(8)')
        .addColumn('price_fen', 'bigint', (c) => c.notNull())
        .addColumn('quick_key', 'integer')
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('product_brand_sku', ['brand_id', 'sku'])
        .addUniqueConstraint('product_brand_barcode', ['brand_id', 'barcode'])
        .execute();
      await db.schema.createIndex('product_brand_quick_key').on('product').columns(['brand_id', 'quick_key']).execute();

      await table('store_product')
        .addColumn('store_id', 'bigint', (c) => c.notNull())
        .addColumn('product_id', 'bigint', (c) => c.notNull())
        .addColumn('price_fen', 'bigint')
        .addColumn('available', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('store_product_pk', ['store_id', 'product_id'])
        .execute();

      await table('pos_shift')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('terminal_id', 'bigint', (c) => c.notNull())
        .addColumn('store_id', 'bigint', (c) => c.notNull())
        .addColumn('staff_id', 'bigint', (c) => c.notNull())
        .addColumn('open_key', 'varchar(64)', (c) => c.unique())
        .addColumn('opened_at', 'bigint', (c) => c.notNull())
        .addColumn('opening_float_fen', 'bigint', (c) => c.notNull())
        .addColumn('closed_at', 'bigint')
        .addColumn('counted_cash_fen', 'bigint')
        .execute();
      await db.schema.createIndex('pos_shift_terminal').on('pos_shift').columns(['terminal_id', 'opened_at']).execute();

      await db.schema.alterTable('pay_order').addColumn('shift_id', 'varchar(32)').execute();
      await db.schema
        .alterTable('pay_order')
        .addColumn('device_time', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('pay_order_shift').on('pay_order').column('shift_id').execute();
      await db.schema.alterTable('refund').addColumn('shift_id', 'varchar(32)').execute();
      await db.schema.createIndex('refund_shift').on('refund').column('shift_id').execute();
    },

    async down(db: Kysely<any>): Promise<void> {
      for (const [index, on] of [
        ['refund_shift', 'refund'],
        ['pay_order_shift', 'pay_order'],
      ] as const) {
        const drop = db.schema.dropIndex(index);
        await (dialect === 'mysql' ? drop.on(on) : drop).execute();
      }
      await db.schema.alterTable('refund').dropColumn('shift_id').execute();
      await db.schema.alterTable('pay_order').dropColumn('device_time').execute();
      await db.schema.alterTable('pay_order').dropColumn('shift_id').execute();
      for (const t of ['pos_shift', 'store_product', 'product']) await db.schema.dropTable(t).ifExists().execute();
    },
  };
}
