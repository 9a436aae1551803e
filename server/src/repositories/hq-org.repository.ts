/** The group's structure as HQ configures it: programs, brands, stores, terminals, exchange rates. */
import type { Insertable, Kysely, Updateable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import type { Database } from '../db/schema.js';

type Q = Kysely<Database> | Trx;

export function listTerminals(db: Q, filter: { storeId?: number; includeRevoked?: boolean }) {
  let q = db
    .selectFrom('terminal')
    .innerJoin('store', 'store.id', 'terminal.store_id')
    .select(['terminal.id', 'terminal.store_id', 'store.code as store_code', 'terminal.name', 'terminal.revoked_at', 'terminal.created_at'])
    .orderBy('store.code')
    .orderBy('terminal.created_at');
  if (filter.storeId !== undefined) q = q.where('terminal.store_id', '=', filter.storeId);
  if (!filter.includeRevoked) q = q.where('terminal.revoked_at', 'is', null);
  return q.limit(1000).execute();
}

export function findTerminal(db: Q, id: number) {
  return db.selectFrom('terminal').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function setTerminalToken(db: Q, id: number, tokenHash: string): Promise<boolean> {
  const res = await db
    .updateTable('terminal')
    .set({ token_hash: tokenHash })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function revokeTerminalRow(db: Q, id: number, at: number): Promise<void> {
  await db.updateTable('terminal').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

export function allPrograms(db: Q) {
  return db.selectFrom('program').selectAll().orderBy('code').execute();
}

export function programByCode(db: Q, code: string) {
  return db.selectFrom('program').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function insertProgram(db: Q, row: Insertable<Database['program']>): Promise<void> {
  await db.insertInto('program').values(row).execute();
}

export async function updateProgram(db: Q, id: number, patch: Updateable<Database['program']>): Promise<void> {
  await db.updateTable('program').set(patch).where('id', '=', id).execute();
}

/** Only one program is the default one new members join. */
export async function clearDefaultExcept(db: Q, id: number): Promise<void> {
  await db.updateTable('program').set({ is_default: 0 }).where('id', '<>', id).where('is_default', '=', 1).execute();
}

export function allBrands(db: Q) {
  return db
    .selectFrom('brand')
    .innerJoin('program', 'program.id', 'brand.program_id')
    .select(['brand.id', 'brand.code', 'brand.name', 'program.code as program_code', 'brand.created_at'])
    .orderBy('brand.code')
    .execute();
}

export function brandByCode(db: Q, code: string) {
  return db.selectFrom('brand').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function insertBrand(db: Q, row: Insertable<Database['brand']>): Promise<void> {
  await db.insertInto('brand').values(row).execute();
}

export async function updateBrand(db: Q, id: number, patch: Updateable<Database['brand']>): Promise<void> {
  await db.updateTable('brand').set(patch).where('id', '=', id).execute();
}

export function allStores(db: Q, filter: { storeId?: number } = {}) {
  let q = db
    .selectFrom('store')
    .innerJoin('brand', 'brand.id', 'store.brand_id')
    .select(['store.id', 'store.code', 'store.name', 'store.address', 'brand.code as brand_code', 'store.created_at'])
    .orderBy('store.code');
  if (filter.storeId !== undefined) q = q.where('store.id', '=', filter.storeId);
  return q.execute();
}

export function storeByCode(db: Q, code: string) {
  return db.selectFrom('store').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function insertStore(db: Q, row: Insertable<Database['store']>): Promise<void> {
  await db.insertInto('store').values(row).execute();
}

export async function updateStore(db: Q, id: number, patch: Updateable<Database['store']>): Promise<void> {
  await db.updateTable('store').set(patch).where('id', '=', id).execute();
}

export function allExchangeRates(db: Q) {
  return db
    .selectFrom('exchange_rate')
    .innerJoin('program as f', 'f.id', 'exchange_rate.from_program_id')
    .innerJoin('program as t', 't.id', 'exchange_rate.to_program_id')
    .select([
      'f.code as from_code',
      't.code as to_code',
      'exchange_rate.from_points',
      'exchange_rate.to_points',
      'exchange_rate.enabled',
      'exchange_rate.updated_at',
    ])
    .orderBy('f.code')
    .orderBy('t.code')
    .execute();
}

export function findExchangeRate(db: Q, fromProgramId: number, toProgramId: number) {
  return db
    .selectFrom('exchange_rate')
    .selectAll()
    .where('from_program_id', '=', fromProgramId)
    .where('to_program_id', '=', toProgramId)
    .executeTakeFirst();
}

export async function upsertExchangeRate(db: Q, row: Insertable<Database['exchange_rate']>, exists: boolean): Promise<void> {
  if (exists) {
    await db
      .updateTable('exchange_rate')
      .set({ from_points: row.from_points, to_points: row.to_points, enabled: row.enabled, updated_at: row.updated_at })
      .where('from_program_id', '=', row.from_program_id)
      .where('to_program_id', '=', row.to_program_id)
      .execute();
  } else {
    await db.insertInto('exchange_rate').values(row).execute();
  }
}

/** Tier codes some account of the program holds now (a new tier set must keep them). */
export async function tierCodesInUse(db: Q, programId: number): Promise<string[]> {
  const rows = await db.selectFrom('account').select('tier_code').distinct().where('program_id', '=', programId).execute();
  return rows.map((r) => r.tier_code);
}
