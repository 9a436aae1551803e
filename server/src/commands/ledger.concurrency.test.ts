/**
 * Concurrency on a real pool of connections (MariaDB in the mysql project): operations on one
 * account never interleave, so concurrent debits can never overspend and concurrent replays of
 * one key write one entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JifenError } from '@jifen/shared';
import { inTransaction } from '../db/dialect.js';
import { createTestDb } from '../test-support/db.js';
import type { TestDb } from '../test-support/db.js';
import { balances, makeAccount, makeProgram } from '../test-support/fixtures.js';
import { credit, debit, hold, verifyAccount } from './ledger.js';

let t: TestDb;
let programId: number;

beforeAll(async () => {
  t = await createTestDb({ poolSize: 32 });
  programId = await makeProgram(t.db);
});
afterAll(async () => t.drop());

async function settle<T>(promises: Promise<T>[]) {
  const results = await Promise.allSettled(promises);
  const ok = results.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled').map((r) => r.value);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  return { ok, failed };
}

describe('concurrent debits', () => {
  it('50 concurrent debits that together exceed the balance: exactly those that fit succeed', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    await credit(
      { db: t.db },
      { source: 'test', key: `fund-${accountId}` },
      { accountId, points: 1000, kind: 'grant', expiresAt: null, reason: 'x' },
    );
    // 50 × 30 = 1500 requested against 1000: 33 fit (990), 17 must be refused.
    const { ok, failed } = await settle(
      Array.from({ length: 50 }, (_, i) =>
        debit({ db: t.db }, { source: 'test', key: `d-${accountId}-${i}` }, { accountId, points: 30, kind: 'spend', reason: '兑换' }),
      ),
    );
    expect(ok).toHaveLength(33);
    expect(failed).toHaveLength(17);
    for (const e of failed) expect((e as JifenError).code).toBe('POINTS_INSUFFICIENT');
    expect((await balances(t.db, accountId)).available).toBe(10);
    const check = await inTransaction(t.db, (trx) => verifyAccount(trx, accountId));
    expect(check.problems).toEqual([]);
  });

  it('mixed concurrent holds and spends of varying sizes never take the balance below zero', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    await credit(
      { db: t.db },
      { source: 'test', key: `fund-${accountId}` },
      { accountId, points: 777, kind: 'grant', expiresAt: null, reason: 'x' },
    );
    const sizes = Array.from({ length: 40 }, (_, i) => 5 + ((i * 37) % 60));
    const { ok } = await settle(
      sizes.map((points, i) =>
        i % 2 === 0
          ? hold({ db: t.db }, { source: 'test', key: `h-${accountId}-${i}` }, { accountId, points, reason: 'hold' })
          : debit({ db: t.db }, { source: 'test', key: `s-${accountId}-${i}` }, { accountId, points, kind: 'spend', reason: 'spend' }),
      ),
    );
    const granted = ok.reduce((s, r) => s + -r.points, 0);
    const b = await balances(t.db, accountId);
    expect(b.available).toBeGreaterThanOrEqual(0);
    expect(granted).toBeLessThanOrEqual(777);
    expect(b.available).toBe(777 - granted);
    // Whatever was refused could not have fitted into what was left.
    expect(sizes.length - ok.length).toBeGreaterThan(0);
    const check = await inTransaction(t.db, (trx) => verifyAccount(trx, accountId));
    expect(check.problems).toEqual([]);
  });
});

describe('concurrent replays', () => {
  it('20 concurrent replays of one idempotency key write one entry and all get its answer', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    const key = { source: 'test', key: `same-${accountId}` };
    const { ok, failed } = await settle(
      Array.from({ length: 20 }, () => credit({ db: t.db }, key, { accountId, points: 88, kind: 'grant', expiresAt: null, reason: 'x' })),
    );
    expect(failed).toEqual([]);
    expect(new Set(ok.map((r) => r.entryId)).size).toBe(1);
    expect(ok.filter((r) => !r.replayed)).toHaveLength(1);
    const entries = await t.db.kysely.selectFrom('ledger_entry').select('id').where('account_id', '=', accountId).execute();
    expect(entries).toHaveLength(1);
    expect((await balances(t.db, accountId)).available).toBe(88);
  });

  it('one key used concurrently on two different accounts: one posting wins, the other is a conflict', async () => {
    const { accountId: a } = await makeAccount(t.db, programId);
    const { accountId: b } = await makeAccount(t.db, programId);
    const key = { source: 'test', key: `cross-${a}` };
    const { ok, failed } = await settle([
      ...Array.from({ length: 5 }, () =>
        credit({ db: t.db }, key, { accountId: a, points: 10, kind: 'grant', expiresAt: null, reason: 'x' }),
      ),
      ...Array.from({ length: 5 }, () =>
        credit({ db: t.db }, key, { accountId: b, points: 10, kind: 'grant', expiresAt: null, reason: 'x' }),
      ),
    ]);
    expect(ok.length).toBe(5);
    expect(failed.every((e) => e instanceof JifenError && e.code === 'IDEMPOTENCY_CONFLICT')).toBe(true);
    const total = (await balances(t.db, a)).available + (await balances(t.db, b)).available;
    expect(total).toBe(10);
  });
});
