/** The store catalogue as HQ keeps it: a brand's products, and one store's own price and availability. */
import { ProductListQuery, SkuSchema, StoreProductRequest, UpsertProductsRequest } from '@jifen/shared';
import { z } from 'zod';
import { listProducts, setStoreProduct, upsertProducts } from '../../../commands/pos-catalogue.js';
import type { Services } from '../../context.js';
import { validate } from '../../middleware/request.js';
import { actorOf, route } from './route.js';
import type { AdminRouter } from './route.js';

const StoreCodeParam = z.string().trim().min(1).max(32);

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
