/**
 * `pnpm jifen import products <file.csv> --brand <code> [--dry-run] [--encoding gb18030]`: a brand's
 * catalogue from the spreadsheet HQ keeps it in. Columns (header names, any order, case-insensitive):
 * sku, name, price (yuan, e.g. 12.80) — required; barcode, initials (pinyin initials for the till's
 * search), category, unit, quickKey, active (1/0, true/false, 是/否). Every row is checked first
 * (the shared product schema, repeats within the file, barcodes another SKU of the brand already has);
 * one bad row and nothing is written, so a run either loads the whole file or points at each line to
 * fix. Products are created or replaced by SKU, so running the same file again changes nothing new.
 */
import { ProductInputSchema } from '@jifen/shared';
import type { ProductImportResponse, ProductInput } from '@jifen/shared';
import { JifenError } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import * as pos from '../repositories/pos.repository.js';
import { parseCsv } from './import-csv.js';
import { upsertProducts } from './pos-catalogue.js';
import type { HqActor } from './hq-common.js';

const COLUMNS = ['sku', 'barcode', 'name', 'initials', 'price', 'category', 'unit', 'quickkey', 'active'] as const;
type Column = (typeof COLUMNS)[number];
const REQUIRED: Column[] = ['sku', 'name', 'price'];
/** What one upsert takes (the HQ API's limit too). */
const BATCH = 1000;

export type ProductImportReport = ProductImportResponse;
type ProductImportError = ProductImportReport['errors'][number];

/** Yuan as typed in a spreadsheet ("12.8", "12.80", "￥12.80", "1,280.00") to integer fen, exactly. */
export function yuanToFen(text: string): number | null {
  const t = text
    .replace(/^[￥¥]/, '')
    .replace(/,/g, '')
    .trim();
  const m = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(t);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

function parseActive(text: string): boolean | null {
  const t = text.trim().toLowerCase();
  if (t === '' || t === '1' || t === 'true' || t === 'yes' || t === '是') return true;
  if (t === '0' || t === 'false' || t === 'no' || t === '否') return false;
  return null;
}

function headerIndex(fields: string[]): Map<Column, number> {
  const index = new Map<Column, number>();
  fields.forEach((f, i) => {
    const name = f.trim().toLowerCase().replace(/[\s_]/g, '') as Column;
    if ((COLUMNS as readonly string[]).includes(name) && !index.has(name)) index.set(name, i);
  });
  const missing = REQUIRED.filter((c) => !index.has(c));
  if (missing.length > 0)
    throw new JifenError(
      'VALIDATION_FAILED',
      `line 1: the header must name ${missing.join(' and ')} (columns: sku, barcode, name, initials, price, category, unit, quickKey, active)`,
    );
  return index;
}

function rowToInput(cell: (c: Column) => string): ProductInput {
  const priceText = cell('price');
  const priceFen = yuanToFen(priceText);
  if (priceFen === null) throw new RowError(`price "${priceText}" is not an amount in yuan (e.g. 12.80)`);
  const active = parseActive(cell('active'));
  if (active === null) throw new RowError(`active "${cell('active')}" is not 1/0, true/false or 是/否`);
  const quickKeyText = cell('quickkey');
  const quickKey = quickKeyText === '' ? undefined : Number(quickKeyText);
  const optional = (c: Column) => (cell(c) === '' ? undefined : cell(c));
  const parsed = ProductInputSchema.safeParse({
    sku: cell('sku'),
    barcode: optional('barcode'),
    name: cell('name'),
    initials: optional('initials'),
    priceFen,
    category: optional('category'),
    unit: optional('unit'),
    quickKey,
    active,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'row').replace('priceFen', 'price');
    throw new RowError(`${field}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

class RowError extends Error {}

export interface ProductImportDeps {
  db: Db;
  now: () => number;
}

export async function importProducts(
  deps: ProductImportDeps,
  text: AsyncIterable<string>,
  opts: { brandCode: string; dryRun: boolean; actor: HqActor | `cli:${string}`; onProgress?: (rows: number, bad: number) => void },
): Promise<ProductImportReport> {
  const brand = await deps.db.kysely.selectFrom('brand').select('id').where('code', '=', opts.brandCode).executeTakeFirst();
  if (!brand) throw new JifenError('BRAND_NOT_FOUND', `brand ${opts.brandCode} not found`, 'brand');
  const errors: ProductImportError[] = [];
  const products: Array<{ line: number; input: ProductInput }> = [];
  const skuLine = new Map<string, number>();
  const barcodeLine = new Map<string, number>();
  let index: Map<Column, number> | undefined;
  let rows = 0;
  for await (const record of parseCsv(text)) {
    if (!index) {
      index = headerIndex(record.fields);
      continue;
    }
    rows += 1;
    const cell = (c: Column) => {
      const i = index!.get(c);
      return i === undefined ? '' : (record.fields[i] ?? '').trim();
    };
    try {
      const input = rowToInput(cell);
      const firstSku = skuLine.get(input.sku);
      if (firstSku !== undefined) throw new RowError(`SKU ${input.sku} repeats line ${firstSku}`);
      skuLine.set(input.sku, record.line);
      if (input.barcode) {
        const firstBarcode = barcodeLine.get(input.barcode);
        if (firstBarcode !== undefined) throw new RowError(`barcode ${input.barcode} repeats line ${firstBarcode}`);
        barcodeLine.set(input.barcode, record.line);
      }
      products.push({ line: record.line, input });
    } catch (e) {
      if (!(e instanceof RowError)) throw e;
      errors.push({ line: record.line, sku: cell('sku') || null, reason: e.message });
    }
    if (rows % 1000 === 0) opts.onProgress?.(rows, errors.length);
  }
  if (!index) throw new JifenError('VALIDATION_FAILED', 'the file is empty: it needs a header line and rows');

  // A barcode the brand already gives another SKU (the till could not tell them apart).
  const barcodes = [...barcodeLine.keys()];
  for (let i = 0; i < barcodes.length; i += BATCH) {
    for (const owner of await pos.productsByBarcodes(deps.db.kysely, brand.id, barcodes.slice(i, i + BATCH))) {
      const line = barcodeLine.get(owner.barcode)!;
      const row = products.find((p) => p.line === line);
      if (row && row.input.sku !== owner.sku)
        errors.push({ line, sku: row.input.sku, reason: `barcode ${owner.barcode} already belongs to SKU ${owner.sku}` });
    }
  }
  errors.sort((a, b) => a.line - b.line);

  const report: ProductImportReport = { rows, bad: errors.length, created: 0, updated: 0, errors };
  if (opts.dryRun || errors.length > 0) {
    if (opts.dryRun) {
      const known = new Set<string>();
      const skus = products.map((p) => p.input.sku);
      for (let i = 0; i < skus.length; i += BATCH)
        for (const p of await pos.productsBySkus(deps.db.kysely, brand.id, skus.slice(i, i + BATCH))) known.add(p.sku);
      report.updated = known.size;
      report.created = products.length - known.size;
    }
    return report;
  }
  for (let i = 0; i < products.length; i += BATCH) {
    const batch = products.slice(i, i + BATCH).map((p) => ProductInputSchema.parse(p.input));
    const counts = await upsertProducts(deps, opts.actor, { brandCode: opts.brandCode, products: batch });
    report.created += counts.created;
    report.updated += counts.updated;
    opts.onProgress?.(Math.min(i + BATCH, products.length), 0);
  }
  return report;
}

/** The summary line of a run, and each bad row's line. */
export function describeProductImport(r: ProductImportReport, dryRun: boolean, brandCode: string): string[] {
  const verb = dryRun ? 'would create' : 'created';
  const lines = r.errors.map((e) => `line ${e.line}${e.sku ? ` (${e.sku})` : ''}: ${e.reason}`);
  const outcome =
    r.bad > 0 && !dryRun
      ? `nothing imported: ${r.bad} bad row${r.bad === 1 ? '' : 's'} (fix them and run again)`
      : `${verb} ${r.created}, ${dryRun ? 'would replace' : 'replaced'} ${r.updated}, ${r.bad} bad`;
  lines.push(`import products${dryRun ? ' (dry run)' : ''} for ${brandCode}: ${r.rows} rows, ${outcome}`);
  return lines;
}
