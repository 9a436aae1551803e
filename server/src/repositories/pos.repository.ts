/** The POS kiosk's tables: the store catalogue, cashier shifts, and the sums a shift report needs. */
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import { isDuplicateKeyError, num } from '../db/dialect.js';
import { prepared } from '../db/prepared.js';
import type { Database, PosShiftTable, ProductTable } from '../db/schema.js';

type Q = Kysely<Database> | Trx;
export type ProductRow = Selectable<ProductTable>;
export type ShiftRow = Selectable<PosShiftTable>;

/** A product as one store sells it: the store's own price and availability applied. */
export interface StoreProductRow {
  sku: string;
  barcode: string | null;
  name: string;
  category: string | null;
  unit: string | null;
  price_fen: number;
}

/** The brand's products joined with the store's overrides; only what the store sells. */
function storeProducts(db: Q, brandId: number, storeId: number) {
  return db
    .selectFrom('product as p')
    .leftJoin('store_product as sp', (j) => j.onRef('sp.product_id', '=', 'p.id').on('sp.store_id', '=', storeId))
    .select((eb) => ['p.sku', 'p.barcode', 'p.name', 'p.category', 'p.unit', eb.fn.coalesce('sp.price_fen', 'p.price_fen').as('price_fen')])
    .where('p.brand_id', '=', brandId)
    .where('p.active', '=', 1)
    .where((eb) => eb.or([eb('sp.available', 'is', null), eb('sp.available', '=', 1)]));
}

function normalise(row: { price_fen: unknown } & Omit<StoreProductRow, 'price_fen'>): StoreProductRow {
  return { ...row, price_fen: num(row.price_fen) };
}

/** One read of the (brand_id, barcode) key: a scanned code and its EAN-13/UPC-A twin. */
const byBarcode = prepared(
  (db, brandId: number, storeId: number, barcode: string, twin: string) =>
    storeProducts(db, brandId, storeId).where('p.barcode', 'in', [barcode, twin]).limit(1),
  4,
);

export async function productByBarcode(
  db: Q,
  brandId: number,
  storeId: number,
  barcodes: readonly [string, string?],
): Promise<StoreProductRow | undefined> {
  const [row] = await byBarcode(db, brandId, storeId, barcodes[0], barcodes[1] ?? barcodes[0]);
  return row ? normalise(row) : undefined;
}

/** One read of the (brand_id, sku) key. */
export async function productBySku(db: Q, brandId: number, storeId: number, sku: string): Promise<StoreProductRow | undefined> {
  const row = await storeProducts(db, brandId, storeId).where('p.sku', '=', sku).executeTakeFirst();
  return row ? normalise(row) : undefined;
}

/**
 * `%` and `_` typed by a cashier are matched literally. The escape character is `!`, not a backslash:
 * MySQL reads a backslash inside a string literal as an escape of its own, SQLite does not.
 */
function likeEscape(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}

/**
 * Products whose name contains the text, or whose pinyin initials, SKU or barcode start with it, in
 * SKU order. Reads the brand's products through the (brand_id, sku) key, never the whole table.
 */
export async function searchStoreProducts(
  db: Q,
  brandId: number,
  storeId: number,
  text: string,
  limit: number,
): Promise<StoreProductRow[]> {
  const contains = `%${likeEscape(text)}%`;
  const prefix = `${likeEscape(text)}%`;
  const lowerPrefix = `${likeEscape(text.toLowerCase())}%`;
  const upperPrefix = `${likeEscape(text.toUpperCase())}%`;
  const rows = await storeProducts(db, brandId, storeId)
    .where((eb) =>
      eb.or([
        eb(sql`p.name`, 'like', sql`${contains} escape '!'`),
        eb(sql`p.initials`, 'like', sql`${lowerPrefix} escape '!'`),
        eb(sql`p.sku`, 'like', sql`${prefix} escape '!'`),
        eb(sql`p.sku`, 'like', sql`${upperPrefix} escape '!'`),
        eb(sql`p.barcode`, 'like', sql`${prefix} escape '!'`),
      ]),
    )
    // In the (brand_id, sku) key's order: the read walks the key and stops at the limit, instead of
    // collecting every match to sort it (a common word matches thousands of a big catalogue's items).
    .orderBy('p.sku')
    .limit(limit)
    .execute();
  return rows.map(normalise);
}

export async function quickKeyProducts(db: Q, brandId: number, storeId: number, limit: number): Promise<StoreProductRow[]> {
  const rows = await storeProducts(db, brandId, storeId)
    .where('p.quick_key', 'is not', null)
    .orderBy('p.quick_key')
    .orderBy('p.sku')
    .limit(limit)
    .execute();
  return rows.map(normalise);
}

// ── HQ's side of the catalogue ──────────────────────────────────────────────────────────────────

export function productsBySkus(db: Q, brandId: number, skus: string[]): Promise<ProductRow[]> {
  if (skus.length === 0) return Promise.resolve([]);
  return db.selectFrom('product').selectAll().where('brand_id', '=', brandId).where('sku', 'in', skus).execute();
}

/** The brand's products that carry one of these barcodes (the (brand_id, barcode) key). */
export async function productsByBarcodes(db: Q, brandId: number, barcodes: string[]): Promise<Array<{ sku: string; barcode: string }>> {
  if (barcodes.length === 0) return [];
  const rows = await db
    .selectFrom('product')
    .select(['sku', 'barcode'])
    .where('brand_id', '=', brandId)
    .where('barcode', 'in', barcodes)
    .execute();
  return rows.flatMap((r) => (r.barcode === null ? [] : [{ sku: r.sku, barcode: r.barcode }]));
}

export function findProduct(db: Q, brandId: number, sku: string): Promise<ProductRow | undefined> {
  return db.selectFrom('product').selectAll().where('brand_id', '=', brandId).where('sku', '=', sku).executeTakeFirst();
}

export async function insertProduct(db: Q, row: ProductRow): Promise<void> {
  await db.insertInto('product').values(row).execute();
}

export async function updateProduct(db: Q, id: number, patch: Partial<Omit<ProductRow, 'id' | 'brand_id' | 'sku'>>): Promise<void> {
  await db.updateTable('product').set(patch).where('id', '=', id).execute();
}

/** A page of a brand's products in SKU order (after the previous page's last SKU), optionally filtered. */
export function listProducts(db: Q, brandId: number, opts: { q?: string; after?: string; limit: number }): Promise<ProductRow[]> {
  let query = db.selectFrom('product').selectAll().where('brand_id', '=', brandId);
  if (opts.after) query = query.where('sku', '>', opts.after);
  if (opts.q) {
    const contains = `%${likeEscape(opts.q)}%`;
    const prefix = `${likeEscape(opts.q)}%`;
    query = query.where((eb) =>
      eb.or([
        eb(sql`name`, 'like', sql`${contains} escape '!'`),
        eb(sql`sku`, 'like', sql`${prefix} escape '!'`),
        eb(sql`barcode`, 'like', sql`${prefix} escape '!'`),
      ]),
    );
  }
  return query.orderBy('sku').limit(opts.limit).execute();
}

export async function countProducts(db: Q, brandId: number): Promise<number> {
  const row = await db
    .selectFrom('product')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('brand_id', '=', brandId)
    .executeTakeFirst();
  return num(row?.n);
}

/** Sets one store's price and availability of a product (insert, or update the existing row). */
export async function setStoreProduct(
  db: Q,
  row: { store_id: number; product_id: number; price_fen: number | null; available: number; updated_at: number },
): Promise<void> {
  const patch = { price_fen: row.price_fen, available: row.available, updated_at: row.updated_at };
  const done = await db
    .updateTable('store_product')
    .set(patch)
    .where('store_id', '=', row.store_id)
    .where('product_id', '=', row.product_id)
    .executeTakeFirst();
  if (Number(done.numUpdatedRows) > 0) return;
  try {
    await db.insertInto('store_product').values(row).execute();
  } catch (e) {
    // Another writer inserted it first: ours is the later word.
    if (!isDuplicateKeyError(e)) throw e;
    await db
      .updateTable('store_product')
      .set(patch)
      .where('store_id', '=', row.store_id)
      .where('product_id', '=', row.product_id)
      .execute();
  }
}

// ── Rate limits (counted by hitRateLimit in member-claim.repository.ts) ──

/** Whether `bucket` already holds `limit` hits in the current fixed window (a read; counts nothing). */
export async function rateLimitReached(db: Q, bucket: string, windowMs: number, limit: number, now: number): Promise<boolean> {
  const row = await db.selectFrom('rate_limit').select(['window_start', 'hits']).where('bucket', '=', bucket).executeTakeFirst();
  return row !== undefined && num(row.window_start) === now - (now % windowMs) && num(row.hits) >= limit;
}

// ── Shifts ──────────────────────────────────────────────────────────────────────────────────────

export function openKey(terminalId: number, staffId: number): string {
  return `${terminalId.toString(36)}:${staffId.toString(36)}`;
}

export function findShift(db: Q, id: string): Promise<ShiftRow | undefined> {
  return db.selectFrom('pos_shift').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findOpenShift(db: Q, terminalId: number, staffId: number): Promise<ShiftRow | undefined> {
  return db.selectFrom('pos_shift').selectAll().where('open_key', '=', openKey(terminalId, staffId)).executeTakeFirst();
}

export async function insertShift(db: Q, row: ShiftRow): Promise<void> {
  await db.insertInto('pos_shift').values(row).execute();
}

/** Closes the shift if it is still open (compare-and-set): false when it was closed already. */
export async function markShiftClosed(db: Q, id: string, closedAt: number, countedCashFen: number): Promise<boolean> {
  const res = await db
    .updateTable('pos_shift')
    .set({ closed_at: closedAt, counted_cash_fen: countedCashFen, open_key: null })
    .where('id', '=', id)
    .where('closed_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export interface ShiftSalesRow {
  method: string;
  count: number;
  amountFen: number;
  payableFen: number;
  pointsPaidFen: number;
  pointsPaid: number;
  pointsEarned: number;
}

/** Sales of a shift by payment method: every order carrying its id that was paid (refunded or not). */
export async function shiftSales(db: Q, shiftId: string): Promise<ShiftSalesRow[]> {
  const rows = await db
    .selectFrom('pay_order')
    .select((eb) => [
      'payment_method',
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.sum<number | string>('amount_fen').as('amount'),
      eb.fn.sum<number | string>('payable_fen').as('payable'),
      eb.fn.sum<number | string>('points_paid_fen').as('points_fen'),
      eb.fn.sum<number | string>('points_paid').as('points_paid'),
      eb.fn.sum<number | string>('points_earned').as('earned'),
    ])
    .where('shift_id', '=', shiftId)
    .where('status', 'in', ['paid', 'refunded', 'partially_refunded'])
    .groupBy('payment_method')
    .execute();
  return rows.map((r) => ({
    method: r.payment_method,
    count: num(r.n),
    amountFen: num(r.amount),
    payableFen: num(r.payable),
    pointsPaidFen: num(r.points_fen),
    pointsPaid: num(r.points_paid),
    pointsEarned: num(r.earned),
  }));
}

export interface ShiftRefundsRow {
  method: string;
  count: number;
  amountFen: number;
  moneyFen: number;
  pointsReturned: number;
  pointsReversed: number;
}

/** Refunds given during a shift (succeeded, or on their way back through WeChat), by the order's payment method. */
export async function shiftRefunds(db: Q, shiftId: string): Promise<ShiftRefundsRow[]> {
  const rows = await db
    .selectFrom('refund as r')
    .innerJoin('pay_order as o', 'o.id', 'r.order_id')
    .select((eb) => [
      'o.payment_method',
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.sum<number | string>('r.amount_fen').as('amount'),
      eb.fn.sum<number | string>('r.wechat_fen').as('money'),
      eb.fn.sum<number | string>('r.points_returned').as('returned'),
      eb.fn.sum<number | string>('r.points_reversed').as('reversed'),
    ])
    .where('r.shift_id', '=', shiftId)
    .where('r.status', 'in', ['success', 'processing'])
    .groupBy('o.payment_method')
    .execute();
  return rows.map((r) => ({
    method: r.payment_method,
    count: num(r.n),
    amountFen: num(r.amount),
    moneyFen: num(r.money),
    pointsReturned: num(r.returned),
    pointsReversed: num(r.reversed),
  }));
}
