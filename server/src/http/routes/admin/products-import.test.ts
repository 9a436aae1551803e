/** POST /api/admin/products/import: a brand's catalogue from a spreadsheet, through HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProductImportResponse } from '@jifen/shared';
import { newId } from '../../../lib/ids.js';
import { T0, makeProgram } from '../../../test-support/fixtures.js';
import { startTestServer } from '../../../test-support/server.js';
import type { TestServer } from '../../../test-support/server.js';

let s: TestServer;
let admin: string;

beforeAll(async () => {
  s = await startTestServer();
  const programId = await makeProgram(s.testDb.db, { code: 'JIFEN' });
  await s.testDb.db.kysely
    .insertInto('brand')
    .values({ id: newId(), code: 'TEA', name: '茶语', program_id: programId, created_at: T0 })
    .execute();
  admin = await s.signIn();
});
afterAll(async () => s.close());

async function upload(body: string | Uint8Array, query: string, type = 'text/csv') {
  const res = await fetch(`${s.url}/api/admin/products/import${query}`, {
    method: 'POST',
    headers: { 'content-type': type, authorization: `Bearer ${admin}` },
    body,
  });
  return { status: res.status, body: (await res.json()) as ProductImportResponse & { error?: { code: string; message: string } } };
}

const products = () => s.testDb.db.kysely.selectFrom('product').select(['sku', 'name', 'price_fen', 'barcode']).orderBy('sku').execute();

describe('POST /api/admin/products/import', () => {
  const FILE = 'sku,name,price,barcode,initials\r\nT101,茉莉花茶,38.00,6923000100010,mlhc\r\nT102,"柠檬红茶, 大杯",16,,nmhc\r\n';

  it('a dry run (the default) reports and writes nothing; a bad row stops the real run too', async () => {
    const dry = await upload(`${FILE}T103,坏价格,十元,,\r\n`, '?brandCode=TEA');
    expect(dry.status).toBe(200);
    expect(dry.body).toEqual({
      rows: 3,
      bad: 1,
      created: 2,
      updated: 0,
      errors: [{ line: 4, sku: 'T103', reason: 'price "十元" is not an amount in yuan (e.g. 12.80)' }],
    });
    const real = await upload(`${FILE}T103,坏价格,十元,,\r\n`, '?brandCode=TEA&dryRun=false');
    expect(real.body).toMatchObject({ bad: 1, created: 0, updated: 0 });
    expect(await products()).toEqual([]);
  });

  it('loads the file, audited as the staff member; the same file again replaces and adds nothing', async () => {
    expect((await upload(FILE, '?brandCode=TEA&dryRun=false')).body).toEqual({ rows: 2, bad: 0, created: 2, updated: 0, errors: [] });
    expect(await products()).toEqual([
      { sku: 'T101', name: '茉莉花茶', price_fen: 3800, barcode: '6923000100010' },
      { sku: 'T102', name: '柠檬红茶, 大杯', price_fen: 1600, barcode: null },
    ]);
    expect((await upload(FILE, '?brandCode=TEA&dryRun=false')).body).toMatchObject({ created: 0, updated: 2 });
    expect(await products()).toHaveLength(2);
    const audit = await s.testDb.db.kysely
      .selectFrom('audit_log')
      .select(['actor', 'target'])
      .where('action', '=', 'catalogue.upsert')
      .execute();
    expect(audit.map((a) => a.target)).toEqual(['brand:TEA', 'brand:TEA']);
    expect(audit.every((a) => a.actor.includes('hq-admin'))).toBe(true);
  });

  it('400 without text/csv or a brand; 404 BRAND_NOT_FOUND for an unknown brand', async () => {
    expect((await upload(FILE, '?brandCode=TEA', 'application/json')).status).toBe(400);
    expect((await upload(FILE, '')).status).toBe(400);
    const unknown = await upload(FILE, '?brandCode=NOPE');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe('BRAND_NOT_FOUND');
  });
});
