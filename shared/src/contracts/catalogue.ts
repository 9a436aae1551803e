/**
 * The store catalogue as HQ maintains it: products per brand (every store of the brand sells them),
 * with a price and availability a single store may override. The kiosk reads it through the POS API
 * (contracts/pos.ts); HQ writes it through these.
 */
import { z } from 'zod';

/** EAN-13, EAN-8, UPC-A or UPC-E: digits only, the check digit verified. */
export function validRetailBarcode(code: string): boolean {
  if (!/^(\d{8}|\d{12}|\d{13})$/.test(code)) return false;
  const digits = [...code].map(Number);
  const check = digits.pop()!;
  // From the right, the digit next to the check digit weighs 3, then 1, 3, …
  const sum = digits.reverse().reduce((s, d, i) => s + d * (i % 2 === 0 ? 3 : 1), 0);
  return (10 - (sum % 10)) % 10 === check;
}

export const SkuSchema = z
  .string()
  .trim()
  .regex(/^[\w.-]{1,64}$/, 'letters, digits, . _ - (1 to 64)');

export const ProductInputSchema = z.object({
  sku: SkuSchema,
  barcode: z.string().trim().refine(validRetailBarcode, 'must be an EAN-13, EAN-8 or UPC-A with a valid check digit').optional(),
  name: z.string().trim().min(1).max(60),
  /**
   * Pinyin initials of the name (鲜榨橙汁 → xzcz) for the till's search box; lower-case letters and
   * digits. Supplied with the catalogue: the server does not transliterate.
   */
  initials: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9]{0,32}$/, 'lower-case letters and digits, at most 32')
    .optional(),
  priceFen: z.number().int().min(0).max(100_000_000),
  /** A rule category (fresh, tobacco, gift_card, …): the earning rules read it from the order line. */
  category: z
    .string()
    .trim()
    .regex(/^[\w-]{1,64}$/)
    .optional(),
  unit: z.string().trim().min(1).max(8).optional(),
  /** Position among the till's quick keys (1 first); absent: not a quick key. */
  quickKey: z.number().int().min(1).max(99).optional(),
  active: z.boolean().default(true),
});
export type ProductInput = z.input<typeof ProductInputSchema>;

/** `PUT /api/admin/products`: creates or replaces products of one brand, by SKU. */
export const UpsertProductsRequest = z
  .object({
    brandCode: z.string().trim().min(1).max(32),
    products: z.array(ProductInputSchema).min(1).max(1000),
  })
  .superRefine((r, ctx) => {
    const skus = new Set<string>();
    const barcodes = new Set<string>();
    r.products.forEach((p, i) => {
      if (skus.has(p.sku)) ctx.addIssue({ code: 'custom', message: `SKU ${p.sku} appears twice`, path: ['products', i, 'sku'] });
      skus.add(p.sku);
      if (p.barcode) {
        if (barcodes.has(p.barcode))
          ctx.addIssue({ code: 'custom', message: `barcode ${p.barcode} appears twice`, path: ['products', i, 'barcode'] });
        barcodes.add(p.barcode);
      }
    });
  });
export type UpsertProductsRequest = z.infer<typeof UpsertProductsRequest>;

export interface UpsertProductsResponse {
  created: number;
  updated: number;
}

export const ProductListQuery = z.object({
  brandCode: z.string().trim().min(1).max(32),
  q: z.string().trim().min(1).max(40).optional(),
  /** The last SKU of the previous page. */
  after: z.string().trim().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type ProductListQuery = z.infer<typeof ProductListQuery>;

export interface AdminProductView {
  sku: string;
  barcode: string | null;
  name: string;
  initials: string;
  priceFen: number;
  category: string | null;
  unit: string | null;
  quickKey: number | null;
  active: boolean;
  updatedAt: string;
}

/** `PUT /api/admin/stores/:storeCode/products/:sku`: this store's own price (null: the brand's) and availability. */
export const StoreProductRequest = z.object({
  priceFen: z.number().int().min(0).max(100_000_000).nullable(),
  available: z.boolean(),
});
export type StoreProductRequest = z.infer<typeof StoreProductRequest>;

/**
 * `POST /api/admin/products/import?brandCode=…&dryRun=true|false` with the CSV as the body (text/csv,
 * UTF-8 or charset=gb18030), and `pnpm jifen import products`: columns sku, name, price (yuan) required;
 * barcode, initials, category, unit, quickKey, active optional. A dry run unless dryRun=false.
 */
export const ProductImportQuery = z.object({
  brandCode: z.string().trim().min(1).max(32),
  dryRun: z.enum(['true', 'false']).default('true'),
});
export type ProductImportQuery = z.infer<typeof ProductImportQuery>;

export interface ProductImportResponse {
  rows: number;
  bad: number;
  /** Products created (or, in a dry run, that would be). */
  created: number;
  /** Products replaced by SKU (or that would be). */
  updated: number;
  /** Every bad row; one and nothing is written. */
  errors: Array<{ line: number; sku: string | null; reason: string }>;
}
