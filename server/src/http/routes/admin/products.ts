/** The store catalogue as HQ keeps it: a brand's products, and one store's own price and availability. */
import { JifenError, ProductImportQuery, ProductListQuery, SkuSchema, StoreProductRequest, UpsertProductsRequest } from '@jifen/shared';
import { z } from 'zod';
import { csvEncoding, decodeText, limited } from '../../../commands/import-csv.js';
import { importProducts } from '../../../commands/import-products.js';
import { listProducts, setStoreProduct, upsertProducts } from '../../../commands/pos-catalogue.js';
import type { Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { actorOf, route } from './route.js';
import type { AdminRouter } from './route.js';

const StoreCodeParam = z.string().trim().min(1).max(32);
/** 64 MiB: a catalogue of several hundred thousand items. */
const MAX_CATALOGUE_BYTES = 64 * 1024 * 1024;

export function productRoutes(router: AdminRouter, services: Services): void {
  const deps = { db: services.db, now: services.now };
  const tag = 'Catalogue';

  route(
    router,
    services,
    {
      method: 'get',
      path: '/products',
      permission: 'catalogue.read',
      doc: {
        tag,
        summary: 'A page of a brand’s products in SKU order (`after` = the last SKU of the previous page)',
        query: ProductListQuery,
        responses: { 200: '{ products: AdminProductView[], next: string | null }' },
        errors: ['BRAND_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.body = await listProducts(deps, validate(ProductListQuery, ctx.query));
    },
  );

  route(
    router,
    services,
    {
      method: 'post',
      path: '/products/import',
      permission: 'catalogue.write',
      doc: {
        tag,
        summary:
          'Import a brand’s catalogue from a spreadsheet: the CSV is the body (text/csv; charset=utf-8 or gb18030), columns sku, name, price (yuan) and optionally barcode, initials, category, unit, quickKey, active; a dry run unless dryRun=false; every row is checked first and one bad row writes nothing; by SKU, so repeating it adds nothing',
        query: ProductImportQuery,
        responses: { 200: '{ rows, bad, created, updated, errors: [{ line, sku, reason }] }' },
        errors: ['BRAND_NOT_FOUND'],
      },
    },
    async (ctx) => {
      const query = validate(ProductImportQuery, ctx.query);
      if (!ctx.is('text/csv')) throw new JifenError('VALIDATION_FAILED', 'send the file as the body with Content-Type: text/csv');
      const encoding = csvEncoding(ctx.request.charset || undefined);
      ctx.body = await importProducts(deps, decodeText(limited(ctx.req as AsyncIterable<Buffer>, MAX_CATALOGUE_BYTES), encoding), {
        brandCode: query.brandCode,
        dryRun: query.dryRun === 'true',
        actor: actorOf(ctx),
      });
    },
  );

  route(
    router,
    services,
    {
      method: 'put',
      path: '/products',
      permission: 'catalogue.write',
      doc: {
        tag,
        summary: 'Create or replace up to 1,000 products of a brand by SKU, all or none',
        description:
          'Barcodes are EAN-13, EAN-8 or UPC-A with a valid check digit, unique within the brand. `initials` are the pinyin initials the till searches by (鲜榨橙汁 → xzcz). `quickKey` places the product among the till’s quick keys.',
        body: UpsertProductsRequest,
        responses: { 200: '{ created, updated }' },
        errors: ['BRAND_NOT_FOUND'],
      },
    },
    async (ctx) => {
      ctx.body = await upsertProducts(deps, actorOf(ctx), validate(UpsertProductsRequest, ctx.request.body));
    },
  );

  route(
    router,
    services,
    {
      method: 'put',
      path: '/stores/:storeCode/products/:sku',
      permission: 'catalogue.store',
      doc: {
        tag,
        summary: 'One store’s own price (null: the brand’s) and availability of a product; a store manager for its own store',
        body: StoreProductRequest,
        responses: { 200: 'the product as the store now sells it' },
        errors: ['STORE_NOT_FOUND', 'NOT_FOUND'],
      },
    },
    async (ctx) => {
      const storeCode = validate(StoreCodeParam, ctx.params.storeCode);
      const sku = validate(SkuSchema, ctx.params.sku);
      ctx.body = await setStoreProduct(deps, actorOf(ctx), storeCode, sku, validate(StoreProductRequest, ctx.request.body));
    },
  );
}
