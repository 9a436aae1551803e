import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JifenError } from '@jifen/shared';
import type { ErrorCode } from '@jifen/shared';
import { inTransaction } from '../db/dialect.js';
import { createTestDb } from '../test-support/db.js';
import type { TestDb } from '../test-support/db.js';
import { DAY, T0, TestClock, balances, makeAccount, makeProgram } from '../test-support/fixtures.js';
import { confirmHold, credit, debit, exchange, expireLot, hold, releaseHold, releaseLot, reverse, verifyAccount } from './ledger.js';
import { expireDuePoints, releaseDuePoints } from '../jobs/points-jobs.js';

let t: TestDb;
let programId: number;
let clock: TestClock;
const deps = () => ({ db: t.db, now: clock.now });
let n = 0;
const key = (label: string) => ({ source: 'test', key: `${label}-${++n}` });

async function expectCode(p: Promise<unknown>, code: ErrorCode) {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(JifenError);
  expect((e as JifenError).code).toBe(code);
}

async function entriesOf(accountId: number) {
  return t.db.kysely.selectFrom('ledger_entry').selectAll().where('account_id', '=', accountId).orderBy('entry_seq').execute();
}

async function check(accountId: number) {
  const result = await inTransaction(t.db, (trx) => verifyAccount(trx, accountId));
  expect(result.problems).toEqual([]);
}

beforeAll(async () => {
  t = await createTestDb();
  programId = await makeProgram(t.db);
});
afterAll(async () => t.drop());
beforeEach(() => {
  clock = new TestClock();
});

describe('credit', () => {
  it('credits a lot and caches the balance', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    const r = await credit(deps(), key('c'), { accountId, points: 120, kind: 'grant', expiresAt: null, reason: '注册奖励' });
    expect(r).toMatchObject({ points: 120, available: 120, pending: 0, replayed: false });
    expect(await balances(t.db, accountId)).toMatchObject({ available: 120, lifetime_earned: 120 });
    await check(accountId);
  });

  it('replays the same key with the same inputs: one entry, the first answer', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    const k = key('replay');
    const first = await credit(deps(), k, { accountId, points: 50, kind: 'grant', expiresAt: null, reason: 'x' });
    clock.advance(DAY);
    const again = await credit(deps(), k, { accountId, points: 50, kind: 'grant', expiresAt: null, reason: 'x' });
    expect(again).toEqual({ ...first, replayed: true });
    expect(await entriesOf(accountId)).toHaveLength(1);
    expect((await balances(t.db, accountId)).available).toBe(50);
  });

  it('refuses the same key with other inputs: IDEMPOTENCY_CONFLICT, nothing written', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    const k = key('conflict');
    await credit(deps(), k, { accountId, points: 50, kind: 'grant', expiresAt: null, reason: 'x' });
    await expectCode(credit(deps(), k, { accountId, points: 51, kind: 'grant', expiresAt: null, reason: 'x' }), 'IDEMPOTENCY_CONFLICT');
    expect(await entriesOf(accountId)).toHaveLength(1);
  });

  it('keeps purchase points pending until the release job passes the return window', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    await credit(deps(), key('pend'), {
      accountId,
      points: 300,
      growth: 300,
      kind: 'earn',
      pendingUntil: T0 + 7 * DAY,
      expiresAt: null,
      reason: '消费',
    });
    expect(await balances(t.db, accountId)).toMatchObject({ available: 0, pending: 300, growth: 300 });
    await expectCode(debit(deps(), key('d'), { accountId, points: 1, kind: 'spend', reason: 'x' }), 'POINTS_INSUFFICIENT');
    expect((await releaseDuePoints(t.db, T0 + 6 * DAY)).items).toBe(0);
    const lot = await t.db.kysely.selectFrom('lot').select('id').where('account_id', '=', accountId).executeTakeFirstOrThrow();
    expect(await releaseLot(deps(), { lotId: lot.id, asOf: T0 + 6 * DAY })).toBeNull();
    await releaseDuePoints(t.db, T0 + 7 * DAY);
    expect(await balances(t.db, accountId)).toMatchObject({ available: 300, pending: 0 });
    // A second run finds nothing more to release.
    expect(await releaseLot(deps(), { lotId: lot.id, asOf: T0 + 8 * DAY })).toMatchObject({ replayed: true });
    expect((await entriesOf(accountId)).map((e) => e.kind)).toEqual(['earn', 'release']);
    await check(accountId);
  });

  it('upgrades the tier at once when growth reaches the next tier', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    await credit(deps(), key('g'), { accountId, points: 10, growth: 999, kind: 'earn', expiresAt: null, reason: 'x' });
    expect((await balances(t.db, accountId)).tier_code).toBe('bronze');
    await credit(deps(), key('g'), { accountId, points: 10, growth: 1, kind: 'earn', expiresAt: null, reason: 'x' });
    expect((await balances(t.db, accountId)).tier_code).toBe('silver');
    const history = await t.db.kysely.selectFrom('tier_history').selectAll().where('account_id', '=', accountId).execute();
    expect(history).toMatchObject([{ from_code: 'bronze', to_code: 'silver', reason: 'upgrade' }]);
  });
});

describe('debit and lots', () => {
  it('spends the lot that expires first, whatever order the lots were earned in', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    const late = await credit(deps(), key('l'), { accountId, points: 100, kind: 'grant', expiresAt: T0 + 300 * DAY, reason: 'late' });
    const early = await credit(deps(), key('e'), { accountId, points: 100, kind: 'grant', expiresAt: T0 + 30 * DAY, reason: 'early' });
    const never = await credit(deps(), key('n'), { accountId, points: 100, kind: 'grant', expiresAt: null, reason: 'never' });
    await debit(deps(), key('s'), { accountId, points: 150, kind: 'spend', reason: '兑换' });
    const lots = await t.db.kysely.selectFrom('lot').select(['id', 'remaining']).where('account_id', '=', accountId).execute();
    const left = Object.fromEntries(lots.map((l) => [l.id, l.remaining]));
    expect(left[early.lotId!]).toBe(0);
    expect(left[late.lotId!]).toBe(50);
    expect(left[never.lotId!]).toBe(100);
    await check(accountId);
  });

  it('refuses a debit beyond the balance with POINTS_INSUFFICIENT and writes nothing', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    await credit(deps(), key('c'), { accountId, points: 100, kind: 'grant', expiresAt: null, reason: 'x' });
    await expectCode(debit(deps(), key('d'), { accountId, points: 101, kind: 'spend', reason: 'x' }), 'POINTS_INSUFFICIENT');
    expect(await entriesOf(accountId)).toHaveLength(1);
    expect((await balances(t.db, accountId)).available).toBe(100);
  });

  it('expires only what is left of a lot, once, however often the job runs', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    const lot = await credit(deps(), key('c'), { accountId, points: 100, kind: 'grant', expiresAt: T0 + 10 * DAY, reason: 'x' });
    await credit(deps(), key('c'), { accountId, points: 40, kind: 'grant', expiresAt: T0 + 400 * DAY, reason: 'x' });
    await debit(deps(), key('d'), { accountId, points: 70, kind: 'spend', reason: 'x' });
    expect(await expireLot(deps(), { lotId: lot.lotId!, asOf: T0 + 9 * DAY })).toBeNull();
    const first = await expireDuePoints(t.db, T0 + 10 * DAY);
    const second = await expireDuePoints(t.db, T0 + 11 * DAY);
    expect(first.points).toBeGreaterThanOrEqual(30);
    expect(second.items).toBe(0);
    expect((await balances(t.db, accountId)).available).toBe(40);
    expect((await entriesOf(accountId)).filter((e) => e.kind === 'expire')).toHaveLength(1);
    await check(accountId);
  });
});

describe('holds', () => {
  it('holds, then confirms: the points are spent once', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    await credit(deps(), key('c'), { accountId, points: 500, kind: 'grant', expiresAt: null, reason: 'x' });
    const h = await hold(deps(), key('h'), { accountId, points: 200, reason: '积分抵扣' });
    expect(await balances(t.db, accountId)).toMatchObject({ available: 300, held: 200 });
    await confirmHold(deps(), key('ok'), { holdId: h.entryId });
    expect(await balances(t.db, accountId)).toMatchObject({ available: 300, held: 0 });
    await expectCode(releaseHold(deps(), key('rel'), { holdId: h.entryId }), 'HOLD_NOT_ACTIVE');
    await check(accountId);
  });

  it('holds, then releases: the points return to their lots', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    await credit(deps(), key('c'), { accountId, points: 500, kind: 'grant', expiresAt: T0 + 50 * DAY, reason: 'x' });
    const h = await hold(deps(), key('h'), { accountId, points: 500, reason: '积分抵扣' });
    await releaseHold(deps(), key('rel'), { holdId: h.entryId });
    expect(await balances(t.db, accountId)).toMatchObject({ available: 500, held: 0 });
    await expectCode(confirmHold(deps(), key('ok'), { holdId: h.entryId }), 'HOLD_NOT_ACTIVE');
    await check(accountId);
  });

  it('released points whose lot expired meanwhile are expired at once, never spendable', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    await credit(deps(), key('c'), { accountId, points: 100, kind: 'grant', expiresAt: T0 + DAY, reason: 'x' });
    const h = await hold(deps(), key('h'), { accountId, points: 100, reason: '积分抵扣' });
    clock.advance(2 * DAY);
    await releaseHold(deps(), key('rel'), { holdId: h.entryId });
    expect(await balances(t.db, accountId)).toMatchObject({ available: 0, held: 0 });
    expect((await entriesOf(accountId)).map((e) => e.kind)).toEqual(['grant', 'hold', 'hold_release', 'expire']);
    await check(accountId);
  });
});

describe('reversals', () => {
  it('a refund within the return window takes the pending points back', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    const earn = await credit(deps(), key('e'), {
      accountId,
      points: 128,
      growth: 128,
      kind: 'earn',
      pendingUntil: T0 + 7 * DAY,
      expiresAt: null,
      reason: '消费',
    });
    await reverse(deps(), key('r'), { entryId: earn.entryId, points: 28, growth: 28, reason: '部分退款' });
    expect(await balances(t.db, accountId)).toMatchObject({ pending: 100, growth: 100 });
    await reverse(deps(), key('r'), { entryId: earn.entryId, points: 100, growth: 100, reason: '退款' });
    expect(await balances(t.db, accountId)).toMatchObject({ pending: 0, growth: 0, lifetime_earned: 0 });
    await expectCode(reverse(deps(), key('r'), { entryId: earn.entryId, points: 1, reason: '再退' }), 'ALREADY_REVERSED');
    await check(accountId);
  });

  it('never reverses more than was earned', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    const earn = await credit(deps(), key('e'), { accountId, points: 100, kind: 'earn', expiresAt: null, reason: '消费' });
    await expectCode(reverse(deps(), key('r'), { entryId: earn.entryId, points: 101, reason: '退款' }), 'REVERSAL_EXCEEDS_ORIGINAL');
  });

  it('points already spent become a debt that later earnings repay; spending is refused meanwhile', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    const earn = await credit(deps(), key('e'), { accountId, points: 100, kind: 'earn', expiresAt: null, reason: '消费' });
    await debit(deps(), key('s'), { accountId, points: 80, kind: 'spend', reason: '兑换' });
    await reverse(deps(), key('r'), { entryId: earn.entryId, points: 100, reason: '退款' });
    expect((await balances(t.db, accountId)).available).toBe(-80);
    await check(accountId);
    await credit(deps(), key('g'), { accountId, points: 50, kind: 'grant', expiresAt: null, reason: 'x' });
    expect((await balances(t.db, accountId)).available).toBe(-30);
    await expectCode(debit(deps(), key('s'), { accountId, points: 1, kind: 'spend', reason: 'x' }), 'POINTS_INSUFFICIENT');
    await check(accountId);
    await credit(deps(), key('g'), { accountId, points: 50, kind: 'grant', expiresAt: null, reason: 'x' });
    expect((await balances(t.db, accountId)).available).toBe(20);
    await debit(deps(), key('s'), { accountId, points: 20, kind: 'spend', reason: 'x' });
    await check(accountId);
  });

  it('takes spent points from the other lots before going negative', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    const earn = await credit(deps(), key('e'), { accountId, points: 100, kind: 'earn', expiresAt: T0 + DAY, reason: '消费' });
    await credit(deps(), key('g'), { accountId, points: 300, kind: 'grant', expiresAt: null, reason: 'x' });
    await debit(deps(), key('s'), { accountId, points: 100, kind: 'spend', reason: 'x' });
    await reverse(deps(), key('r'), { entryId: earn.entryId, points: 100, reason: '退款' });
    expect((await balances(t.db, accountId)).available).toBe(200);
    await check(accountId);
  });

  it('does not charge twice for points that already expired', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    const earn = await credit(deps(), key('e'), { accountId, points: 100, kind: 'earn', expiresAt: T0 + DAY, reason: '消费' });
    await credit(deps(), key('g'), { accountId, points: 500, kind: 'grant', expiresAt: null, reason: 'x' });
    await expireDuePoints(t.db, T0 + 2 * DAY);
    expect((await balances(t.db, accountId)).available).toBe(500);
    await reverse(deps(), key('r'), { entryId: earn.entryId, points: 100, reason: '退款' });
    expect((await balances(t.db, accountId)).available).toBe(500);
    await check(accountId);
  });

  it('returning points paid with points gives them back to their lots', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    await credit(deps(), key('g'), { accountId, points: 1000, kind: 'grant', expiresAt: T0 + 100 * DAY, reason: 'x' });
    const h = await hold(deps(), key('h'), { accountId, points: 600, reason: '积分抵扣' });
    const c = await confirmHold(deps(), key('c'), { holdId: h.entryId });
    await reverse(deps(), key('r'), { entryId: c.entryId, points: 200, reason: '部分退款退还积分' });
    await reverse(deps(), key('r'), { entryId: c.entryId, points: 400, reason: '退款退还积分' });
    expect((await balances(t.db, accountId)).available).toBe(1000);
    await expectCode(reverse(deps(), key('r'), { entryId: c.entryId, points: 1, reason: 'x' }), 'ALREADY_REVERSED');
    await check(accountId);
  });
});

describe('exchange', () => {
  it('moves points between two programs of one member in one transaction', async () => {
    const other = await makeProgram(t.db, { isDefault: false });
    const { memberId, accountId: from } = await makeAccount(t.db, programId);
    const { accountId: to } = await makeAccount(t.db, other, memberId);
    await credit(deps(), key('g'), { accountId: from, points: 300, kind: 'grant', expiresAt: null, reason: 'x' });
    await exchange(deps(), key('x'), {
      fromAccountId: from,
      toAccountId: to,
      points: 200,
      toPoints: 400,
      toExpiresAt: null,
      reason: '积分互换',
    });
    expect((await balances(t.db, from)).available).toBe(100);
    expect((await balances(t.db, to)).available).toBe(400);
    await expectCode(
      exchange(deps(), key('x'), {
        fromAccountId: from,
        toAccountId: to,
        points: 101,
        toPoints: 202,
        toExpiresAt: null,
        reason: '积分互换',
      }),
      'POINTS_INSUFFICIENT',
    );
    expect((await balances(t.db, to)).available).toBe(400);
    await check(from);
    await check(to);
  });

  it('refuses an exchange between two members', async () => {
    const other = await makeProgram(t.db, { isDefault: false });
    const { accountId: from } = await makeAccount(t.db, programId);
    const { accountId: to } = await makeAccount(t.db, other);
    await credit(deps(), key('g'), { accountId: from, points: 300, kind: 'grant', expiresAt: null, reason: 'x' });
    await expectCode(
      exchange(deps(), key('x'), { fromAccountId: from, toAccountId: to, points: 100, toPoints: 100, toExpiresAt: null, reason: 'x' }),
      'EXCHANGE_NOT_ALLOWED',
    );
    expect((await balances(t.db, from)).available).toBe(300);
  });
});

describe("inside the caller's transaction", () => {
  it('commits with the caller, and rolls back with it', async () => {
    const { accountId } = await makeAccount(t.db, programId);
    await inTransaction(t.db, async (trx) => {
      await credit({ db: t.db, trx, now: clock.now }, key('outer'), { accountId, points: 40, kind: 'grant', expiresAt: null, reason: 'x' });
    });
    expect((await balances(t.db, accountId)).available).toBe(40);
    const failed = await inTransaction(t.db, async (trx) => {
      await credit({ db: t.db, trx, now: clock.now }, key('outer'), { accountId, points: 60, kind: 'grant', expiresAt: null, reason: 'x' });
      throw new Error('the order update failed');
    }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Error);
    expect((await balances(t.db, accountId)).available).toBe(40);
    expect(await entriesOf(accountId)).toHaveLength(1);
    await check(accountId);
  });
});
