import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../test-support/db.js';
import type { TestDb } from '../test-support/db.js';
import { prepared } from './prepared.js';

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
  await t.db.kysely
    .insertInto('brand')
    .values([
      { id: 11, code: 'B11', name: '甲', program_id: 1, created_at: 1 },
      { id: 12, code: 'B12', name: '乙', program_id: 1, created_at: 2 },
      { id: 13, code: 'B13', name: '丙', program_id: 2, created_at: 3 },
    ])
    .execute();
});
afterAll(() => t.drop());

describe('prepared queries', () => {
  const brands = prepared(
    (db, programId: number, after: number) =>
      db.selectFrom('brand').select(['id', 'code']).where('program_id', '=', programId).where('id', '>', after).orderBy('id').limit(5),
    2,
  );

  it('fills each call’s arguments into the statement compiled the first time, constants kept', async () => {
    expect(await brands(t.db.kysely, 1, 0)).toEqual([
      { id: 11, code: 'B11' },
      { id: 12, code: 'B12' },
    ]);
    expect(await brands(t.db.kysely, 1, 11)).toEqual([{ id: 12, code: 'B12' }]);
    expect(await brands(t.db.kysely, 2, 0)).toEqual([{ id: 13, code: 'B13' }]);
    expect(await brands(t.db.kysely, 3, 0)).toEqual([]);
  });

  it('runs inside a transaction on the transaction’s connection', async () => {
    await t.db.kysely.transaction().execute(async (trx) => {
      await trx.updateTable('brand').set({ code: 'B12X' }).where('id', '=', 12).execute();
      expect(await brands(trx, 1, 11)).toEqual([{ id: 12, code: 'B12X' }]);
      await trx.updateTable('brand').set({ code: 'B12' }).where('id', '=', 12).execute();
    });
  });

  it('refuses a builder that leaves an argument out of the query', async () => {
    const careless = prepared(
      (db, programId: number, _unused: number) => db.selectFrom('brand').select('id').where('program_id', '=', programId),
      2,
    );
    await expect(careless(t.db.kysely, 1, 2)).rejects.toThrow('1 of 2 arguments are not in the query');
  });
});
