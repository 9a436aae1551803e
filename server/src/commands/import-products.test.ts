import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../test-support/db.js';
import type { TestDb } from '../test-support/db.js';
import { T0, makeProgram } from '../test-support/fixtures.js';
import { newId } from '../lib/ids.js';
import { importProductsFile } from './import-file.js';
import { importProducts, yuanToFen } from './import-products.js';

let t: TestDb;
let brandId: number;
const dir = mkdtempSync(join(tmpdir(), 'import-products-'));

async function* text(s: string): AsyncGenerator<string> {
  yield s;
}

const deps = () => ({ db: t.db, now: () => T0 });
const products = () => t.db.kysely.selectFrom('product').selectAll().where('brand_id', '=', brandId).orderBy('sku').execute();

beforeAll(async () => {
  t = await createTestDb();
  const programId = await makeProgram(t.db);
  brandId = newId();
  await t.db.kysely
    .insertInto('brand')
    .values({ id: brandId, code: 'FRUIT', name: '鲜果坊', program_id: programId, created_at: T0 })
    .execute();
});
afterAll(async () => {
  await t.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('yuanToFen', () => {
  it('reads yuan as typed in a spreadsheet into exact fen, and refuses anything else', () => {
    expect(yuanToFen('12.8')).toBe(1280);
    expect(yuanToFen('12.80')).toBe(1280);
    expect(yuanToFen('0.05')).toBe(5);
    expect(yuanToFen('￥1,280.00')).toBe(128_000);
    expect(yuanToFen('7')).toBe(700);
    for (const bad of ['12.345', '-1', 'abc', '', '1e3', '12.']) expect(yuanToFen(bad)).toBeNull();
  });
});

describe('pnpm jifen import products', () => {
  const GOOD = [
    'SKU,Name,Price,Barcode,Initials,Category,Unit,QuickKey,Active',
    'F001,鲜榨橙汁,12.80,6901234567892,xzcz,fresh,瓶,1,1',
    'F002,"苹果, 红富士",6.5,,pg,fresh,斤,,是',
    'F003,旧款礼盒,88,4006381333931,jklh,gift,盒,,0',
  ].join('\n');

  it('a dry run lists every bad row by line and reason and writes nothing', async () => {
    const file = [
      'sku,name,price,barcode,active',
      'F001,鲜榨橙汁,12.80,6901234567892,1',
      'F002,苹果,12.345,,1',
      'F001,重复,1.00,,1',
      'F004,条码错,1.00,6901234567891,1',
      'F005,状态错,1.00,,maybe',
      'F006,,1.00,,1',
      'F007,同码,2.00,6901234567892,1',
    ].join('\n');
    const r = await importProducts(deps(), text(file), { brandCode: 'FRUIT', dryRun: true, actor: 'cli:test' });
    expect(r).toMatchObject({ rows: 7, bad: 6, created: 1, updated: 0 });
    expect(r.errors).toEqual([
      { line: 3, sku: 'F002', reason: 'price "12.345" is not an amount in yuan (e.g. 12.80)' },
      { line: 4, sku: 'F001', reason: 'SKU F001 repeats line 2' },
      { line: 5, sku: 'F004', reason: 'barcode: must be an EAN-13, EAN-8 or UPC-A with a valid check digit' },
      { line: 6, sku: 'F005', reason: 'active "maybe" is not 1/0, true/false or 是/否' },
      { line: 7, sku: 'F006', reason: expect.stringMatching(/^name: /) },
      { line: 8, sku: 'F007', reason: 'barcode 6901234567892 repeats line 2' },
    ]);
    expect(await products()).toEqual([]);
  });

  it('with a bad row imports nothing at all', async () => {
    const r = await importProducts(deps(), text(`${GOOD}\nF009,坏价格,abc`), { brandCode: 'FRUIT', dryRun: false, actor: 'cli:test' });
    expect(r).toMatchObject({ rows: 4, bad: 1, created: 0, updated: 0 });
    expect(await products()).toEqual([]);
  });

  it('loads a file with fen prices, initials and quick keys; running it again creates nothing', async () => {
    const file = join(dir, 'catalogue.csv');
    writeFileSync(file, `\ufeff${GOOD}\r\n`);
    const lines: string[] = [];
    const out = { progress: (l: string) => void lines.push(l), report: (l: string) => void lines.push(l) };
    expect(await importProductsFile(deps(), file, { brandCode: 'FRUIT', dryRun: false }, out)).toBe(0);
    expect(lines.at(-1)).toBe('import products for FRUIT: 3 rows, created 3, replaced 0, 0 bad');
    expect(
      (await products()).map((p) => ({
        sku: p.sku,
        name: p.name,
        price: p.price_fen,
        barcode: p.barcode,
        initials: p.initials,
        quick: p.quick_key,
        active: p.active,
      })),
    ).toEqual([
      { sku: 'F001', name: '鲜榨橙汁', price: 1280, barcode: '6901234567892', initials: 'xzcz', quick: 1, active: 1 },
      { sku: 'F002', name: '苹果, 红富士', price: 650, barcode: null, initials: 'pg', quick: null, active: 1 },
      { sku: 'F003', name: '旧款礼盒', price: 8800, barcode: '4006381333931', initials: 'jklh', quick: null, active: 0 },
    ]);
    const audit = await t.db.kysely
      .selectFrom('audit_log')
      .select(['actor', 'action', 'target'])
      .where('action', '=', 'catalogue.upsert')
      .execute();
    expect(audit).toEqual([
      { actor: 'cli:' + (await import('node:os')).userInfo().username, action: 'catalogue.upsert', target: 'brand:FRUIT' },
    ]);

    lines.length = 0;
    expect(await importProductsFile(deps(), file, { brandCode: 'FRUIT', dryRun: false }, out)).toBe(0);
    expect(lines.at(-1)).toBe('import products for FRUIT: 3 rows, created 0, replaced 3, 0 bad');
    expect(await products()).toHaveLength(3);
  });

  it('refuses a barcode another SKU of the brand already has, an unknown brand, a file without the required columns', async () => {
    const r = await importProducts(deps(), text('sku,name,price,barcode\nF010,新橙汁,13.00,6901234567892'), {
      brandCode: 'FRUIT',
      dryRun: true,
      actor: 'cli:test',
    });
    expect(r.errors).toEqual([{ line: 2, sku: 'F010', reason: 'barcode 6901234567892 already belongs to SKU F001' }]);
    await expect(importProducts(deps(), text(GOOD), { brandCode: 'NOPE', dryRun: true, actor: 'cli:test' })).rejects.toMatchObject({
      code: 'BRAND_NOT_FOUND',
    });
    await expect(
      importProducts(deps(), text('sku,barcode\nF011,'), { brandCode: 'FRUIT', dryRun: true, actor: 'cli:test' }),
    ).rejects.toThrow('line 1: the header must name name and price');
  });
});
