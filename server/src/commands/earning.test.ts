import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JifenError } from '@jifen/shared';
import { createTestDb } from '../test-support/db.js';
import type { TestDb } from '../test-support/db.js';
import { DAY, T0, balances, makeAccount, makeProgram } from '../test-support/fixtures.js';
import { earnForPurchase, publishRuleSet, quotePurchase } from './earning.js';

let t: TestDb;
let programId: number;

beforeAll(async () => {
  t = await createTestDb();
  programId = await makeProgram(t.db, { returnWindowDays: 7 });
  await publishRuleSet(t.db, { programId, rules: { baseRate: 1 }, effectiveFrom: T0 - 10 * DAY, actor: 'test', now: T0 - 10 * DAY });
  await publishRuleSet(t.db, { programId, rules: { baseRate: 3 }, effectiveFrom: T0 + DAY, actor: 'test', now: T0 });
});
afterAll(async () => t.drop());

const lines = [{ sku: 'A1', name: '鲜榨橙汁', qty: 2, unitPriceFen: 6400 }];
const purchase = (memberId: number, placedAt: number) => ({
  memberId,
  programId,
  brandId: null,
  brandCode: 'FRESH',
  storeCode: 'S001',
  placedAt,
  lines,
  pointsPaidFen: 0,
});

describe('purchase earning', () => {
  it('uses the rule set version in force when the order was placed, even if settled later', async () => {
    const { memberId, accountId } = await makeAccount(t.db, programId);
    const quote = await quotePurchase(t.db.kysely, purchase(memberId, T0), T0);
    expect(quote.ruleSetVersion).toBe(1);
    // Settled two days later, after version 2 (3 points per yuan) took effect: still version 1.
    const { posting } = await earnForPurchase(
      { db: t.db, now: () => T0 + 2 * DAY },
      { source: 'test', key: `o1-${memberId}` },
      { ...purchase(memberId, T0), orderRef: 'O1', ruleSetId: quote.ruleSetId },
    );
    expect(posting.points).toBe(128);
    expect(await balances(t.db, accountId)).toMatchObject({ pending: 128, available: 0, growth: 128 });
    const later = await quotePurchase(t.db.kysely, purchase(memberId, T0 + 2 * DAY), T0 + 2 * DAY);
    expect(later.ruleSetVersion).toBe(2);
    expect(later.result.points).toBe(384);
  });

  it('stores a member-readable reason and the trace with the version', async () => {
    const { memberId, accountId } = await makeAccount(t.db, programId);
    await earnForPurchase(
      { db: t.db, now: () => T0 },
      { source: 'test', key: `o2-${memberId}` },
      { ...purchase(memberId, T0), orderRef: 'O2', ruleSetId: null },
    );
    const entry = await t.db.kysely.selectFrom('ledger_entry').selectAll().where('account_id', '=', accountId).executeTakeFirstOrThrow();
    expect(entry.reason).toContain('消费￥128.00');
    expect(JSON.parse(entry.trace ?? '{}')).toMatchObject({ ruleSetVersion: 1 });
  });

  it('rejects an invalid rule set naming the field', async () => {
    const e = await publishRuleSet(t.db, { programId, rules: { baseRate: -1 }, effectiveFrom: T0, actor: 'test', now: T0 }).catch(
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(JifenError);
    expect((e as JifenError).field).toBe('rules.baseRate');
  });
});

describe('concurrent settlements for one member', () => {
  it('only one of them is the first purchase, and the daily cap holds across them', async () => {
    const program = await makeProgram(t.db, { returnWindowDays: 0, isDefault: false });
    await publishRuleSet(t.db, {
      programId: program,
      rules: { baseRate: 1, firstPurchaseBonus: 100, caps: { perMemberPerDay: 1000 } },
      effectiveFrom: T0 - DAY,
      actor: 'test',
      now: T0 - DAY,
    });
    const { memberId, accountId } = await makeAccount(t.db, program);
    const now = T0 + 3_600_000;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        earnForPurchase(
          { db: t.db, now: () => now },
          { source: 'test', key: `race-${memberId}-${i}` },
          {
            memberId,
            programId: program,
            brandId: null,
            brandCode: 'FRESH',
            storeCode: 'S001',
            placedAt: now,
            lines: [{ sku: 'A1', name: '礼盒', qty: 1, unitPriceFen: 10000 }],
            pointsPaidFen: 0,
            orderRef: `R${i}`,
            ruleSetId: null,
          },
        ),
      ),
    );
    const bonuses = results.filter((r) => r.quote.result.trace.some((step) => step.rule === 'first_purchase'));
    expect(bonuses).toHaveLength(1);
    // 12 × 100 base + one 100 bonus = 1300, but the day allows 1000.
    expect((await balances(t.db, accountId)).available).toBe(1000);
  });
});
