import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../test-support/db.js';
import type { TestDb } from '../test-support/db.js';
import { makeProgram, T0 } from '../test-support/fixtures.js';
import { newId } from '../lib/ids.js';
import { TERMINAL_CACHE_MS, forgetTerminal, issueTerminal, terminalByToken } from './terminals.js';

let t: TestDb;
let storeId: number;
beforeAll(async () => {
  t = await createTestDb();
  const programId = await makeProgram(t.db);
  const brandId = newId();
  storeId = newId();
  await t.db.kysely
    .insertInto('brand')
    .values({ id: brandId, code: 'TB', name: '测试品牌', program_id: programId, created_at: T0 })
    .execute();
  await t.db.kysely
    .insertInto('store')
    .values({ id: storeId, code: 'TS01', name: '测试门店', brand_id: brandId, address: '上海市', created_at: T0 })
    .execute();
});
afterAll(() => t.drop());

describe('a till’s token check', () => {
  it('names the terminal and store; an unknown token is refused', async () => {
    const { terminalId, token } = await issueTerminal(t.db, { storeCode: 'TS01' }, T0);
    expect(await terminalByToken(t.db, token, T0)).toEqual({ terminalId, storeId });
    await expect(terminalByToken(t.db, 'x'.repeat(43), T0)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('is remembered for TERMINAL_CACHE_MS at most, and forgotten at once when this server revokes', async () => {
    const { terminalId, token } = await issueTerminal(t.db, { storeCode: 'TS01' }, T0);
    await terminalByToken(t.db, token, T0);
    // Revoked by another server of the deployment (the row changes, this server is not told).
    await t.db.kysely
      .updateTable('terminal')
      .set({ revoked_at: T0 + 1 })
      .where('id', '=', terminalId)
      .execute();
    expect(await terminalByToken(t.db, token, T0 + TERMINAL_CACHE_MS - 1)).toEqual({ terminalId, storeId });
    await expect(terminalByToken(t.db, token, T0 + TERMINAL_CACHE_MS)).rejects.toMatchObject({ code: 'TERMINAL_REVOKED' });

    const second = await issueTerminal(t.db, { storeCode: 'TS01' }, T0);
    await terminalByToken(t.db, second.token, T0);
    await t.db.kysely
      .updateTable('terminal')
      .set({ revoked_at: T0 + 1 })
      .where('id', '=', second.terminalId)
      .execute();
    forgetTerminal(second.terminalId);
    await expect(terminalByToken(t.db, second.token, T0 + 1)).rejects.toMatchObject({ code: 'TERMINAL_REVOKED' });
  });
});
