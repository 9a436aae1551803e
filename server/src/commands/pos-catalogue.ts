/**
 * The store catalogue. HQ keeps products per brand (every store of the brand sells them) and may give
 * one store its own price or take a product off its shelves; the till looks a scanned code up one
 * product at a time, searches by name / pinyin initials / SKU / barcode, and shows the quick keys. The
 * till never loads the whole catalogue (field-notes.md: Odoo's till slowed to a crawl doing that).
 */
import { JifenError, toIsoUtc } from '@jifen/shared';
import type {
  AdminProductView,
  PosProduct,
  ProductListQuery,
  StoreProductRequest,
  UpsertProductsRequest,
  UpsertProductsResponse,
} from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { inTransaction, isDuplicateKeyError } from '../db/dialect.js';
import { newId } from '../lib/ids.js';
import { appendAudit } from '../repositories/audit.repository.js';
import * as pos from '../repositories/pos.repository.js';
import type { ProductRow, StoreProductRow } from '../repositories/pos.repository.js';
import { assertOwnStore, record } from './hq-common.js';
import type { HqActor } from './hq-common.js';

/** What a till's store sells: its brand's catalogue, with its own prices. */
export interface StoreScope {
  storeId: number;
  brandId: number;
}

/** At most this many quick keys are shown. */
export const MAX_QUICK_KEYS = 48;

export function presentProduct(row: StoreProductRow): PosProduct {
  return {
    sku: row.sku,
    ...(row.barcode ? { barcode: row.barcode } : {}),
    name: row.name,
    unitPriceFen: row.price_fen,
    ...(row.category ? { category: row.category } : {}),
    ...(row.unit ? { unit: row.unit } : {}),
  };
}

/**
 * The barcodes a scan may be stored under: a 12-digit UPC-A is the EAN-13 with a leading 0, and a
 * scanner may send either form.
 */
export function barcodeForms(code: string): [string, string?] {
  if (/^\d{12}$/.test(code)) return [code, `0${code}`];
  if (/^0\d{12}$/.test(code)) return [code, code.slice(1)];
  return [code];
}

/**
 * The product behind a scanned barcode or a typed SKU, as this store sells it. One read of the
 * barcode key (digits), else one of the SKU key. Throws NOT_FOUND when the store does not sell it.
 */
export async function lookupProduct(db: Db, scope: StoreScope, code: string): Promise<PosProduct> {
  const text = code.trim();
  const row =
    (/^\d{8,14}$/.test(text) ? await pos.productByBarcode(db.kysely, scope.brandId, scope.storeId, barcodeForms(text)) : undefined) ??
    (await pos.productBySku(db.kysely, scope.brandId, scope.storeId, text));
  if (!row) throw new JifenError('NOT_FOUND', `this store does not sell ${text}`, 'barcode');
  return presentProduct(row);
}

export async function searchProducts(db: Db, scope: StoreScope, q: string, limit: number): Promise<PosProduct[]> {
  return (await pos.searchStoreProducts(db.kysely, scope.brandId, scope.storeId, q.trim(), limit)).map(presentProduct);
}

export async function quickKeys(db: Db, scope: StoreScope): Promise<PosProduct[]> {
  return (await pos.quickKeyProducts(db.kysely, scope.brandId, scope.storeId, MAX_QUICK_KEYS)).map(presentProduct);
}

// ── HQ ──────────────────────────────────────────────────────────────────────────────────────────

export interface CatalogueDeps {
  db: Db;
  now: () => number;
}

async function brandIdOf(db: Db, code: string): Promise<number> {
  const brand = await db.kysely.selectFrom('brand').select('id').where('code', '=', code).executeTakeFirst();
  if (!brand) throw new JifenError('BRAND_NOT_FOUND', `brand ${code} not found`, 'brandCode');
  return brand.id;
}

function presentAdmin(row: ProductRow): AdminProductView {
  return {
    sku: row.sku,
    barcode: row.barcode,
    name: row.name,
    initials: row.initials,
    priceFen: row.price_fen,
    category: row.category,
    unit: row.unit,
    quickKey: row.quick_key,
    active: row.active === 1,
    updatedAt: toIsoUtc(row.updated_at),
  };
}

/**
 * Creates or replaces products of a brand by SKU, all or nothing. Throws BRAND_NOT_FOUND,
 * VALIDATION_FAILED (a barcode another SKU of the brand already has).
 */
export async function upsertProducts(
  deps: CatalogueDeps,
  /** 'seed' for the demo data and benchmarks (audited as `system`); `cli:<user>` for a file import. */
  actor: HqActor | 'seed' | `cli:${string}`,
  req: UpsertProductsRequest,
): Promise<UpsertProductsResponse> {
  const brandId = await brandIdOf(deps.db, req.brandCode);
  const now = deps.now();
  try {
    const counts = await inTransaction(deps.db, async (trx) => {
      const existing = new Map(
        (
          await pos.productsBySkus(
            trx,
            brandId,
            req.products.map((p) => p.sku),
          )
        ).map((p) => [p.sku, p]),
      );
      let created = 0;
      let updated = 0;
      for (const p of req.products) {
        const fields = {
          barcode: p.barcode ?? null,
          name: p.name,
          initials: p.initials ?? '',
          category: p.category ?? null,
          unit: p.unit ?? null,
          price_fen: p.priceFen,
          quick_key: p.quickKey ?? null,
          active: p.active === false ? 0 : 1,
          updated_at: now,
        };
        const old = existing.get(p.sku);
        if (old) {
          await pos.updateProduct(trx, old.id, fields);
          updated++;
        } else {
          await pos.insertProduct(trx, { id: newId(), brand_id: brandId, sku: p.sku, created_at: now, ...fields });
          created++;
        }
      }
      return { created, updated };
    });
    const what = {
      action: 'catalogue.upsert',
      target: `brand:${req.brandCode}`,
      after: { ...counts, skus: req.products.slice(0, 20).map((p) => p.sku) },
    };
    if (typeof actor === 'string') await appendAudit(deps.db.kysely, { actor: actor === 'seed' ? 'system' : actor, ...what, at: now });
    else await record(deps.db.kysely, actor, now, what);
    return counts;
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
    throw new JifenError('VALIDATION_FAILED', 'a barcode in this request already belongs to another SKU of the brand', 'products');
  }
}

export async function listProducts(
  deps: CatalogueDeps,
  query: ProductListQuery,
): Promise<{ products: AdminProductView[]; next: string | null }> {
  const brandId = await brandIdOf(deps.db, query.brandCode);
  const rows = await pos.listProducts(deps.db.kysely, brandId, { q: query.q, after: query.after, limit: query.limit });
  return { products: rows.map(presentAdmin), next: rows.length === query.limit ? (rows[rows.length - 1]?.sku ?? null) : null };
}

/**
 * One store's own price (null: the brand's) and availability of a product. A store manager may set
 * them for its own store only. Throws STORE_NOT_FOUND, NOT_FOUND (no such SKU in the store's brand), FORBIDDEN.
 */
export async function setStoreProduct(
  deps: CatalogueDeps,
  actor: HqActor,
  storeCode: string,
  sku: string,
  req: StoreProductRequest,
): Promise<PosProduct & { available: boolean; storePriceFen: number | null }> {
  const store = await deps.db.kysely.selectFrom('store').select(['id', 'brand_id']).where('code', '=', storeCode).executeTakeFirst();
  if (!store) throw new JifenError('STORE_NOT_FOUND', `store ${storeCode} not found`);
  assertOwnStore(actor, store.id);
  const product = await pos.findProduct(deps.db.kysely, store.brand_id, sku);
  if (!product) throw new JifenError('NOT_FOUND', `the store's brand has no product ${sku}`);
  const now = deps.now();
  await pos.setStoreProduct(deps.db.kysely, {
    store_id: store.id,
    product_id: product.id,
    price_fen: req.priceFen,
    available: req.available ? 1 : 0,
    updated_at: now,
  });
  await record(deps.db.kysely, actor, now, { action: 'catalogue.store_product', target: `store:${storeCode}/${sku}`, after: req });
  return {
    ...presentProduct({ ...product, price_fen: req.priceFen ?? product.price_fen }),
    available: req.available,
    storePriceFen: req.priceFen,
  };
}
