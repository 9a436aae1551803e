import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { JifenError } from '../../errors.js';
import { allocateLargestRemainder, evaluateEarning, previewEarning, summarizeTrace, type EarningResult } from './engine.js';
import { RuleSetSchema, type EarningInput, type RuleSetInput, type TraceEntry } from './schema.js';

type Line = EarningInput['lines'][number];

const rules = (over: RuleSetInput = {}) => RuleSetSchema.parse(over);
const line = (over: Partial<Line> = {}): Line => ({
  sku: 'A1',
  name: '酸奶',
  qty: 1,
  unitPriceFen: 12800,
  ...over,
});
/** Tuesday 2026-11-17 12:00 local. */
const TUESDAY_NOON = '2026-11-17T04:00:00Z';
/** Wednesday 2026-11-18 12:00 local. */
const WEDNESDAY_NOON = '2026-11-18T04:00:00Z';
const order = (over: Partial<EarningInput> = {}): EarningInput => ({
  lines: [line()],
  pointsPaidFen: 0,
  member: { isFirstPurchase: false, pointsAlreadyEarnedToday: 0 },
  brandCode: 'B1',
  storeCode: 'S1',
  placedAt: TUESDAY_NOON,
  ...over,
});
const member = (over: Partial<EarningInput['member']> = {}): EarningInput['member'] => ({
  isFirstPurchase: false,
  pointsAlreadyEarnedToday: 0,
  ...over,
});
const rulesOf = (r: EarningResult, rule: TraceEntry['rule']) => r.trace.filter((e) => e.rule === rule);
const traceSum = (r: EarningResult) => r.trace.reduce((a, e) => a + e.points, 0);

const ALL_YEAR = { startsAt: '2026-01-01T00:00:00+08:00', endsAt: '2027-01-01T00:00:00+08:00' };
const memberDay = {
  id: 'md',
  name: '会员日双倍积分',
  ...ALL_YEAR,
  weekdays: [3],
  multiplierPercent: 200,
};

describe('RuleSetSchema', () => {
  it('parses {} to "1 point and 1 growth per yuan, nothing else"', () => {
    expect(RuleSetSchema.parse({})).toEqual({
      baseRate: 1,
      growthPerYuan: 1,
      excludedCategories: [],
      excludedSkus: [],
      categoryMultipliers: {},
      skuMultipliers: {},
      categoryBonuses: {},
      skuBonuses: {},
      campaigns: [],
      spendThresholds: [],
      tierMultipliers: {},
      firstPurchaseBonus: 0,
      caps: {},
      grants: {
        signupBonus: 0,
        referral: { referrerPoints: 0, refereePoints: 0 },
        birthdayGift: 0,
      },
    });
  });

  it('rejects misspelt keys, floats, negative values and sub-×1 multipliers', () => {
    expect(RuleSetSchema.safeParse({ baserate: 2 }).success).toBe(false);
    expect(RuleSetSchema.safeParse({ baseRate: 1.5 }).success).toBe(false);
    expect(RuleSetSchema.safeParse({ baseRate: -1 }).success).toBe(false);
    expect(RuleSetSchema.safeParse({ tierMultipliers: { gold: 150.5 } }).success).toBe(false);
    expect(RuleSetSchema.safeParse({ categoryMultipliers: { tobacco: 50 } }).success).toBe(false);
    expect(RuleSetSchema.safeParse({ caps: { perOrder: -5 } }).success).toBe(false);
  });

  it('rejects campaigns that end before they start, do nothing, or share an id', () => {
    const ok = { id: 'c', name: '活动', ...ALL_YEAR, bonusPoints: 5 };
    expect(RuleSetSchema.safeParse({ campaigns: [ok] }).success).toBe(true);
    expect(RuleSetSchema.safeParse({ campaigns: [{ ...ok, endsAt: ok.startsAt }] }).success).toBe(false);
    expect(RuleSetSchema.safeParse({ campaigns: [{ id: 'c', name: '活动', ...ALL_YEAR }] }).success).toBe(false);
    expect(RuleSetSchema.safeParse({ campaigns: [ok, ok] }).success).toBe(false);
    expect(RuleSetSchema.safeParse({ campaigns: [{ ...ok, weekdays: [0] }] }).success).toBe(false);
    expect(RuleSetSchema.safeParse({ campaigns: [{ ...ok, hours: { from: '25:00', to: '26:00' } }] }).success).toBe(false);
    expect(RuleSetSchema.safeParse({ campaigns: [{ ...ok, startsAt: '2026-01-01' }] }).success).toBe(false);
  });
});

describe('base points', () => {
  it('1 point per yuan by default, with a base trace line', () => {
    const r = evaluateEarning(rules(), order());
    expect(r.points).toBe(128);
    expect(r.growth).toBe(128);
    expect(r.eligibleFen).toBe(12800);
    expect(r.trace).toEqual([{ rule: 'base', points: 128, text: '消费￥128.00，基础积分128' }]);
    expect(r.lines).toEqual([{ sku: 'A1', eligibleFen: 12800, points: 128 }]);
  });

  it('rounds down: ￥12.99 at 1 per yuan → 12', () => {
    const r = evaluateEarning(rules(), order({ lines: [line({ unitPriceFen: 1299 })] }));
    expect(r.points).toBe(12);
    expect(r.growth).toBe(12);
  });

  it('rounds once per order, not per line: three ￥0.50 lines → 1 point', () => {
    const lines = ['a', 'b', 'c'].map((sku) => line({ sku, unitPriceFen: 50 }));
    expect(evaluateEarning(rules(), order({ lines })).points).toBe(1);
  });

  it('applies baseRate and quantities', () => {
    const r = evaluateEarning(rules({ baseRate: 3 }), order({ lines: [line({ qty: 2, unitPriceFen: 1050 })] }));
    expect(r.points).toBe(63);
  });

  it('baseRate 0 earns nothing but growth still accrues', () => {
    const r = evaluateEarning(rules({ baseRate: 0 }), order());
    expect(r.points).toBe(0);
    expect(r.growth).toBe(128);
  });

  it('subtracts the line discount', () => {
    expect(evaluateEarning(rules(), order({ lines: [line({ discountFen: 800 })] })).points).toBe(120);
  });
});

describe('exclusions', () => {
  const lines = [
    line({ sku: 'GC100', name: '礼品卡', category: 'gift_card', unitPriceFen: 10000 }),
    line({ sku: 'SN1', name: '薯片', category: 'snack', unitPriceFen: 1234 }),
    line({ sku: 'DLV', name: '配送费', unitPriceFen: 600 }),
  ];
  const r = evaluateEarning(rules({ excludedCategories: ['gift_card'], excludedSkus: ['DLV'] }), order({ lines }));

  it('excluded lines earn nothing and do not count toward the eligible amount', () => {
    expect(r.eligibleFen).toBe(1234);
    expect(r.points).toBe(12);
    expect(r.lines).toEqual([
      { sku: 'GC100', eligibleFen: 0, points: 0 },
      { sku: 'SN1', eligibleFen: 1234, points: 12 },
      { sku: 'DLV', eligibleFen: 0, points: 0 },
    ]);
  });

  it('says so in the trace', () => {
    expect(rulesOf(r, 'excluded')).toEqual([
      { rule: 'excluded', points: 0, text: '礼品卡不计积分' },
      { rule: 'excluded', points: 0, text: '配送费不计积分' },
    ]);
  });

  it('excluded lines get no line bonus either', () => {
    const r2 = evaluateEarning(
      rules({ excludedCategories: ['gift_card'], categoryBonuses: { gift_card: 10 } }),
      order({ lines: [lines[0] as Line] }),
    );
    expect(r2.points).toBe(0);
  });
});

describe('category and SKU rules', () => {
  const lines = [
    line({ sku: 'Y1', name: '酸奶', category: 'dairy', unitPriceFen: 5000 }),
    line({ sku: 'B1', name: '面包', category: 'bakery', unitPriceFen: 5000 }),
  ];

  it('a category multiplier applies to that line only', () => {
    const r = evaluateEarning(rules({ categoryMultipliers: { dairy: 200 } }), order({ lines }));
    expect(r.points).toBe(150);
    expect(rulesOf(r, 'category_multiplier')).toEqual([{ rule: 'category_multiplier', points: 50, text: '酸奶双倍积分 +50' }]);
    expect(r.lines.map((l) => l.points)).toEqual([100, 50]);
  });

  it('a SKU multiplier applies to that SKU only', () => {
    const r = evaluateEarning(rules({ skuMultipliers: { B1: 150 } }), order({ lines }));
    expect(r.points).toBe(125);
    expect(rulesOf(r, 'sku_multiplier')).toEqual([{ rule: 'sku_multiplier', points: 25, text: '面包1.5倍积分 +25' }]);
  });

  it('category and SKU multipliers on the same line stack additively (×2 and ×1.5 → ×2.5)', () => {
    const r = evaluateEarning(
      rules({ categoryMultipliers: { dairy: 200 }, skuMultipliers: { Y1: 150 } }),
      order({ lines: [lines[0] as Line] }),
    );
    expect(r.points).toBe(125);
  });

  it('line multipliers round down', () => {
    const r = evaluateEarning(rules({ skuMultipliers: { A1: 150 } }), order({ lines: [line({ unitPriceFen: 1299 })] }));
    // base 12 (￥12.99), extra floor(12.99 × 0.5) = 6.
    expect(r.points).toBe(18);
  });

  it('category and SKU bonuses are per unit bought', () => {
    const r = evaluateEarning(
      rules({ categoryBonuses: { dairy: 5 }, skuBonuses: { Y1: 2 } }),
      order({ lines: [line({ sku: 'Y1', category: 'dairy', qty: 3, unitPriceFen: 1000 })] }),
    );
    expect(r.points).toBe(30 + 15 + 6);
    expect(rulesOf(r, 'category_bonus')).toEqual([{ rule: 'category_bonus', points: 15, text: '酸奶每件奖励5积分 +15' }]);
    expect(rulesOf(r, 'sku_bonus')).toEqual([{ rule: 'sku_bonus', points: 6, text: '酸奶每件奖励2积分 +6' }]);
  });

  it('a rule keyed "constructor" does not match Object.prototype', () => {
    const r = evaluateEarning(rules(), order({ lines: [line({ sku: 'constructor', category: 'toString' })] }));
    expect(r.points).toBe(128);
  });
});

describe('campaigns', () => {
  const at = (placedAt: string, campaign: object, over: Partial<EarningInput> = {}) =>
    evaluateEarning(rules({ campaigns: [{ id: 'c', name: '活动', ...ALL_YEAR, ...campaign }] }), order({ placedAt, ...over })).points;

  it('member day doubles the base on its weekday only', () => {
    const r = evaluateEarning(rules({ campaigns: [memberDay] }), order({ placedAt: WEDNESDAY_NOON }));
    expect(r.points).toBe(256);
    expect(rulesOf(r, 'campaign')).toEqual([{ rule: 'campaign', points: 128, text: '会员日双倍积分 +128' }]);
    expect(evaluateEarning(rules({ campaigns: [memberDay] }), order({ placedAt: TUESDAY_NOON })).points).toBe(128);
  });

  it('weekday is the China local day: 2026-11-22T15:59Z is Sunday 23:59, 16:00Z is Monday', () => {
    const sunday = { weekdays: [7], multiplierPercent: 200 };
    expect(at('2026-11-22T15:59:00Z', sunday)).toBe(256);
    expect(at('2026-11-22T15:59:59.999Z', sunday)).toBe(256);
    expect(at('2026-11-22T16:00:00Z', sunday)).toBe(128);
    // Saturday in UTC, already Sunday 00:00 in China.
    expect(at('2026-11-21T16:00:00Z', sunday)).toBe(256);
    expect(at('2026-11-21T15:59:59Z', sunday)).toBe(128);
  });

  it('date window is [startsAt, endsAt)', () => {
    const double11 = {
      startsAt: '2026-11-11T00:00:00+08:00',
      endsAt: '2026-11-12T00:00:00+08:00',
      multiplierPercent: 200,
    };
    expect(at('2026-11-10T15:59:59.999Z', double11)).toBe(128);
    expect(at('2026-11-10T16:00:00Z', double11)).toBe(256);
    expect(at('2026-11-11T15:59:59.999Z', double11)).toBe(256);
    expect(at('2026-11-11T16:00:00Z', double11)).toBe(128);
  });

  it('hours window is local, from inclusive, to exclusive', () => {
    const lunch = { hours: { from: '10:00', to: '14:00' }, multiplierPercent: 200 };
    expect(at('2026-11-18T01:59:00Z', lunch)).toBe(128); // 09:59
    expect(at('2026-11-18T02:00:00Z', lunch)).toBe(256); // 10:00
    expect(at('2026-11-18T05:59:59Z', lunch)).toBe(256); // 13:59:59
    expect(at('2026-11-18T06:00:00Z', lunch)).toBe(128); // 14:00
  });

  it('an overnight window belongs to the evening it starts on', () => {
    const fridayNight = {
      weekdays: [5],
      hours: { from: '22:00', to: '02:00' },
      multiplierPercent: 200,
    };
    expect(at('2026-11-20T13:59:00Z', fridayNight)).toBe(128); // Fri 21:59
    expect(at('2026-11-20T15:00:00Z', fridayNight)).toBe(256); // Fri 23:00
    expect(at('2026-11-20T17:00:00Z', fridayNight)).toBe(256); // Sat 01:00, still Friday night
    expect(at('2026-11-20T18:00:00Z', fridayNight)).toBe(128); // Sat 02:00
    expect(at('2026-11-19T17:00:00Z', fridayNight)).toBe(128); // Fri 01:00 is Thursday night
  });

  it('brand and store scope', () => {
    const scoped = { brandCodes: ['B1'], storeCodes: ['S1', 'S2'], multiplierPercent: 200 };
    expect(at(TUESDAY_NOON, scoped)).toBe(256);
    expect(at(TUESDAY_NOON, scoped, { storeCode: 'S2' })).toBe(256);
    expect(at(TUESDAY_NOON, scoped, { storeCode: 'S3' })).toBe(128);
    expect(at(TUESDAY_NOON, scoped, { brandCode: 'B2' })).toBe(128);
  });

  it('bonusPoints is flat per order and adds to the multiplier in one trace line', () => {
    expect(at(TUESDAY_NOON, { bonusPoints: 20 })).toBe(148);
    const r = evaluateEarning(
      rules({
        campaigns: [{ id: 'c', name: '周年庆', ...ALL_YEAR, multiplierPercent: 200, bonusPoints: 20 }],
      }),
      order(),
    );
    expect(r.points).toBe(276);
    expect(rulesOf(r, 'campaign')).toEqual([{ rule: 'campaign', points: 148, text: '周年庆 +148' }]);
  });
});

describe('spend thresholds', () => {
  const thresholds = [
    { minEligibleFen: 20000, bonusPoints: 50 },
    { minEligibleFen: 50000, bonusPoints: 200 },
    { minEligibleFen: 10000, bonusPoints: 20 },
  ];
  const earn = (fen: number) => evaluateEarning(rules({ spendThresholds: thresholds }), order({ lines: [line({ unitPriceFen: fen })] }));

  it('rejects a table where a higher threshold gives fewer or equal points, or a duplicate', () => {
    const ok = (spendThresholds: object[]) => RuleSetSchema.safeParse({ spendThresholds }).success;
    expect(
      ok([
        { minEligibleFen: 1, bonusPoints: 9 },
        { minEligibleFen: 6934, bonusPoints: 0 },
      ]),
    ).toBe(false);
    expect(
      ok([
        { minEligibleFen: 200, bonusPoints: 5 },
        { minEligibleFen: 100, bonusPoints: 5 },
      ]),
    ).toBe(false);
    expect(
      ok([
        { minEligibleFen: 100, bonusPoints: 5 },
        { minEligibleFen: 100, bonusPoints: 6 },
      ]),
    ).toBe(false);
    expect(ok(thresholds)).toBe(true);
  });

  it('only the highest threshold reached applies', () => {
    expect(earn(9999).points).toBe(99);
    expect(earn(19999).points).toBe(199 + 20);
    expect(earn(20000).points).toBe(200 + 50);
    expect(earn(60000).points).toBe(600 + 200);
    expect(rulesOf(earn(20000), 'threshold')).toEqual([{ rule: 'threshold', points: 50, text: '满￥200赠50积分 +50' }]);
  });

  it('is measured on the eligible amount, after the points-paid share', () => {
    const r = evaluateEarning(rules({ spendThresholds: thresholds }), order({ lines: [line({ unitPriceFen: 20000 })], pointsPaidFen: 1 }));
    expect(rulesOf(r, 'threshold')[0]?.points).toBe(20);
  });
});

describe('tier, birthday and first purchase', () => {
  it('tier multiplier uses the tier name when given', () => {
    const r = evaluateEarning(rules({ tierMultipliers: { gold: 150 } }), order({ member: member({ tierCode: 'gold', tierName: '黄金' }) }));
    expect(r.points).toBe(192);
    expect(rulesOf(r, 'tier')).toEqual([{ rule: 'tier', points: 64, text: '黄金会员1.5倍 +64' }]);
  });

  it('a tier without a multiplier earns the base only', () => {
    const r = evaluateEarning(rules({ tierMultipliers: { gold: 150 } }), order({ member: member({ tierCode: 'silver' }) }));
    expect(r.points).toBe(128);
  });

  it('multipliers stack additively: member day ×2 + gold ×1.5 = base × 2.5', () => {
    const r = evaluateEarning(
      rules({ campaigns: [memberDay], tierMultipliers: { gold: 150 } }),
      order({ placedAt: WEDNESDAY_NOON, member: member({ tierCode: 'gold', tierName: '黄金' }) }),
    );
    expect(r.points).toBe(320);
    expect(summarizeTrace(r.trace)).toBe('消费￥128.00，会员日双倍积分，黄金会员1.5倍');
  });

  it('birthday month doubles during the birthday month', () => {
    const rs = rules({ birthday: { multiplierPercent: 200, window: 'month' } });
    const r = evaluateEarning(rs, order({ placedAt: WEDNESDAY_NOON, member: member({ birthday: '11-05' }) }));
    expect(r.points).toBe(256);
    expect(rulesOf(r, 'birthday')).toEqual([{ rule: 'birthday', points: 128, text: '生日当月双倍 +128' }]);
    expect(evaluateEarning(rs, order({ placedAt: WEDNESDAY_NOON, member: member({ birthday: '12-18' }) })).points).toBe(128);
  });

  it('birthday day window needs the exact local date', () => {
    const rs = rules({ birthday: { multiplierPercent: 200, window: 'day' } });
    const earn = (placedAt: string, birthday: string) => evaluateEarning(rs, order({ placedAt, member: member({ birthday }) }));
    expect(earn(WEDNESDAY_NOON, '11-18').points).toBe(256);
    expect(rulesOf(earn(WEDNESDAY_NOON, '11-18'), 'birthday')[0]?.text).toBe('生日当天双倍 +128');
    expect(earn(WEDNESDAY_NOON, '11-05').points).toBe(128);
    // 2026-11-18T16:00Z is already 11-19 in China.
    expect(earn('2026-11-18T16:00:00Z', '11-19').points).toBe(256);
    expect(earn('2026-11-18T15:59:00Z', '11-19').points).toBe(128);
  });

  it('a 02-29 birthday is celebrated on 02-28 in common years', () => {
    const rs = rules({ birthday: { multiplierPercent: 200, window: 'day' } });
    const earn = (placedAt: string) => evaluateEarning(rs, order({ placedAt, member: member({ birthday: '02-29' }) }));
    expect(earn('2026-02-28T04:00:00Z').points).toBe(256);
    expect(earn('2028-02-29T04:00:00Z').points).toBe(256);
    expect(earn('2028-02-28T04:00:00Z').points).toBe(128);
  });

  it('rejects impossible birthdays', () => {
    expect(() => evaluateEarning(rules(), order({ member: member({ birthday: '02-30' }) }))).toThrow(JifenError);
    expect(() => evaluateEarning(rules(), order({ member: member({ birthday: '1990-01-01' }) }))).toThrow(JifenError);
  });

  it('first-purchase bonus only on the first purchase', () => {
    const rs = rules({ firstPurchaseBonus: 100 });
    const first = evaluateEarning(rs, order({ member: member({ isFirstPurchase: true }) }));
    expect(first.points).toBe(228);
    expect(rulesOf(first, 'first_purchase')).toEqual([{ rule: 'first_purchase', points: 100, text: '首单奖励 +100' }]);
    expect(evaluateEarning(rs, order()).points).toBe(128);
  });
});

describe('caps', () => {
  const big = order({ lines: [line({ unitPriceFen: 57800 })] });

  it('per order', () => {
    const r = evaluateEarning(rules({ caps: { perOrder: 500 } }), big);
    expect(r.points).toBe(500);
    expect(rulesOf(r, 'cap_order')).toEqual([{ rule: 'cap_order', points: -78, text: '单笔上限500积分 -78' }]);
    expect(r.growth).toBe(578);
  });

  it('per member per day, using what was already earned today', () => {
    const rs = rules({ caps: { perMemberPerDay: 1000 } });
    const r = evaluateEarning(rs, order({ member: member({ pointsAlreadyEarnedToday: 900 }) }));
    expect(r.points).toBe(100);
    expect(rulesOf(r, 'cap_day')).toEqual([{ rule: 'cap_day', points: -28, text: '每日上限1000积分 -28' }]);
  });

  it('already at or over the daily cap → 0 points, growth unaffected', () => {
    const rs = rules({ caps: { perMemberPerDay: 1000 } });
    const at = evaluateEarning(rs, order({ member: member({ pointsAlreadyEarnedToday: 1000 }) }));
    expect(at.points).toBe(0);
    expect(at.growth).toBe(128);
    expect(rulesOf(at, 'cap_day')[0]?.text).toBe('今日已达每日上限1000积分 -128');
    const over = evaluateEarning(rs, order({ member: member({ pointsAlreadyEarnedToday: 1500 }) }));
    expect(over.points).toBe(0);
  });

  it('per order first, then per day; caps apply after every bonus', () => {
    const rs = rules({ caps: { perOrder: 500, perMemberPerDay: 1000 }, firstPurchaseBonus: 100 });
    const r = evaluateEarning(rs, {
      ...big,
      member: member({ pointsAlreadyEarnedToday: 700, isFirstPurchase: true }),
    });
    expect(r.points).toBe(300);
    expect(r.trace.slice(-2)).toEqual([
      { rule: 'cap_order', points: -178, text: '单笔上限500积分 -178' },
      { rule: 'cap_day', points: -200, text: '每日上限1000积分 -200' },
    ]);
    expect(r.lines[0]?.points).toBe(300);
  });
});

describe('what counts: points paid, discounts, coupons', () => {
  it('paying ￥100 of ￥100 with points earns nothing, not even flat bonuses', () => {
    const rs = rules({
      campaigns: [{ id: 'c', name: '周年庆', ...ALL_YEAR, bonusPoints: 20 }],
      firstPurchaseBonus: 100,
      spendThresholds: [{ minEligibleFen: 1, bonusPoints: 5 }],
      skuBonuses: { A1: 3 },
    });
    const r = evaluateEarning(
      rs,
      order({
        lines: [line({ unitPriceFen: 10000 })],
        pointsPaidFen: 10000,
        member: member({ isFirstPurchase: true }),
      }),
    );
    expect(r.points).toBe(0);
    expect(r.eligibleFen).toBe(0);
    expect(r.growth).toBe(0);
    expect(rulesOf(r, 'points_paid')).toEqual([{ rule: 'points_paid', points: 0, text: '积分抵扣部分￥100.00不计积分' }]);
  });

  it('the points-paid share is subtracted', () => {
    const r = evaluateEarning(rules(), order({ lines: [line({ unitPriceFen: 10000 })], pointsPaidFen: 1000 }));
    expect(r.points).toBe(90);
    expect(r.eligibleFen).toBe(9000);
  });

  it('the points-paid share is spread over eligible lines by largest remainder', () => {
    const lines = [
      line({ sku: 'a', unitPriceFen: 3333 }),
      line({ sku: 'b', unitPriceFen: 3333 }),
      line({ sku: 'c', unitPriceFen: 3334 }),
      line({ sku: 'gc', category: 'gift_card', unitPriceFen: 5000 }),
    ];
    const r = evaluateEarning(rules({ excludedCategories: ['gift_card'] }), order({ lines, pointsPaidFen: 1000 }));
    expect(r.lines.map((l) => l.eligibleFen)).toEqual([3000, 3000, 3000, 0]);
    expect(r.eligibleFen).toBe(9000);
  });

  it('paying one more fen with points cannot shift value onto a multiplied line (found by search)', () => {
    // Rounding the points-paid share per line (largest remainder) and multiplying the rounded line
    // amounts gave 15 points at 320 fen paid and 16 at 321. Line rules use the exact pro-rata share.
    const lines = [145, 257, 301, 321].map((unitPriceFen, i) => line({ sku: i === 0 ? 'hi' : `s${i}`, unitPriceFen }));
    const rs = rules({ skuMultipliers: { hi: 1000 } });
    const at320 = evaluateEarning(rs, order({ lines, pointsPaidFen: 320 }));
    const at321 = evaluateEarning(rs, order({ lines, pointsPaidFen: 321 }));
    expect(at320.points).toBe(15);
    expect(at321.points).toBe(15);
  });

  it('points that paid beyond the eligible lines only zero them out', () => {
    const lines = [line({ sku: 'gc', category: 'gift_card', unitPriceFen: 10000 }), line({ sku: 'sn', unitPriceFen: 5000 })];
    const rs = rules({ excludedCategories: ['gift_card'] });
    expect(evaluateEarning(rs, order({ lines, pointsPaidFen: 3000 })).eligibleFen).toBe(2000);
    expect(evaluateEarning(rs, order({ lines, pointsPaidFen: 12000 })).eligibleFen).toBe(0);
  });

  it('order discount is spread over all lines with largest remainder, summing exactly', () => {
    const lines = ['a', 'b', 'c'].map((sku) => line({ sku, unitPriceFen: 100 }));
    const r = evaluateEarning(rules(), order({ lines, orderDiscountFen: 100 }));
    expect(r.lines.map((l) => l.eligibleFen)).toEqual([66, 67, 67]);
    expect(r.eligibleFen).toBe(200);
    expect(rulesOf(r, 'order_discount')).toEqual([{ rule: 'order_discount', points: 0, text: '整单优惠￥1.00不计积分' }]);
  });

  it('a WeChat coupon never earns: it is spread like an order discount', () => {
    const lines = ['a', 'b', 'c'].map((sku) => line({ sku, unitPriceFen: 100 }));
    const withCoupon = evaluateEarning(rules(), order({ lines, couponFen: 40, orderDiscountFen: 60 }));
    expect(withCoupon.lines.map((l) => l.eligibleFen)).toEqual([66, 67, 67]);
    expect(rulesOf(withCoupon, 'coupon')).toEqual([{ rule: 'coupon', points: 0, text: '优惠券￥0.40不计积分' }]);
    const r = evaluateEarning(rules(), order({ couponFen: 2800 }));
    expect(r.points).toBe(100);
  });

  it('order discount reduces excluded lines too, by their share', () => {
    const lines = [line({ sku: 'gc', category: 'gift_card', unitPriceFen: 10000 }), line({ sku: 'sn', unitPriceFen: 10000 })];
    const r = evaluateEarning(rules({ excludedCategories: ['gift_card'] }), order({ lines, orderDiscountFen: 2000 }));
    expect(r.eligibleFen).toBe(9000);
  });

  it('rejects discounts and points payments larger than the order', () => {
    const expectField = (f: () => unknown, field: string) => {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(JifenError);
        expect((e as JifenError).code).toBe('VALIDATION_FAILED');
        expect((e as JifenError).field).toBe(field);
      }
    };
    expectField(() => evaluateEarning(rules(), order({ lines: [line({ discountFen: 12801 })] })), 'lines.0.discountFen');
    expectField(() => evaluateEarning(rules(), order({ orderDiscountFen: 12801 })), 'orderDiscountFen');
    expectField(() => evaluateEarning(rules(), order({ couponFen: 800, pointsPaidFen: 12001 })), 'pointsPaidFen');
    expectField(() => evaluateEarning(rules(), order({ lines: [line({ unitPriceFen: 12.5 })] })), 'lines.0.unitPriceFen');
    expectField(() => evaluateEarning(rules(), order({ lines: [line({ qty: 0 })] })), 'lines.0.qty');
    expectField(() => evaluateEarning(rules(), order({ placedAt: '2026-11-18 12:00' })), 'placedAt');
    expectField(() => evaluateEarning(rules(), order({ lines: [] })), 'lines');
  });
});

describe('growth value', () => {
  it('is not touched by multipliers, bonuses or caps', () => {
    const rs = rules({
      campaigns: [memberDay],
      tierMultipliers: { gold: 150 },
      skuMultipliers: { A1: 300 },
      firstPurchaseBonus: 100,
      caps: { perOrder: 10 },
    });
    const r = evaluateEarning(
      rs,
      order({
        placedAt: WEDNESDAY_NOON,
        member: member({ tierCode: 'gold', isFirstPurchase: true }),
      }),
    );
    expect(r.points).toBe(10);
    expect(r.growth).toBe(128);
  });

  it('uses growthPerYuan, rounded down', () => {
    const r = evaluateEarning(rules({ growthPerYuan: 2 }), order({ lines: [line({ unitPriceFen: 1299 })] }));
    expect(r.growth).toBe(25);
    expect(r.points).toBe(12);
  });
});

describe('big numbers', () => {
  it('stays exact beyond 2^53 intermediate products', () => {
    const r = evaluateEarning(rules({ skuMultipliers: { A1: 300 } }), order({ lines: [line({ unitPriceFen: 8_999_999_999_999_999 })] }));
    expect(r.points).toBe(89_999_999_999_999 + 179_999_999_999_999);
  });

  it('refuses results beyond 2^53 instead of losing precision', () => {
    expect(() => evaluateEarning(rules({ baseRate: 1000 }), order({ lines: [line({ unitPriceFen: 9_000_000_000_000_000 })] }))).toThrow(
      JifenError,
    );
  });
});

describe('summarizeTrace and previewEarning', () => {
  it('summarizes to one member-readable line', () => {
    const rs = rules({ campaigns: [memberDay], caps: { perOrder: 200 }, excludedSkus: ['GC'] });
    const r = evaluateEarning(
      rs,
      order({
        placedAt: WEDNESDAY_NOON,
        lines: [line(), line({ sku: 'GC', name: '礼品卡' })],
        pointsPaidFen: 100,
      }),
    );
    expect(summarizeTrace(r.trace)).toBe('消费￥127.00，会员日双倍积分，单笔上限200积分');
    expect(summarizeTrace([])).toBe('');
  });

  it('the kiosk preview is the settlement function', () => {
    expect(previewEarning).toBe(evaluateEarning);
  });
});

describe('allocateLargestRemainder', () => {
  it('splits exactly, giving leftovers to the largest remainders, ties to the first', () => {
    expect(allocateLargestRemainder(100n, [100n, 100n, 100n])).toEqual([34n, 33n, 33n]);
    expect(allocateLargestRemainder(10n, [1n, 2n, 7n])).toEqual([1n, 2n, 7n]);
    expect(allocateLargestRemainder(5n, [0n, 3n, 0n, 1n])).toEqual([0n, 4n, 0n, 1n]);
    expect(allocateLargestRemainder(0n, [0n, 0n])).toEqual([0n, 0n]);
    expect(() => allocateLargestRemainder(1n, [0n])).toThrow(RangeError);
    expect(() => allocateLargestRemainder(-1n, [1n])).toThrow(RangeError);
  });

  it('property: parts sum to the total and each is floor or ceil of its exact share', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 1_000_000n }), { minLength: 1, maxLength: 8 }),
        fc.bigInt({ min: 0n, max: 10_000_000n }),
        (weights, total) => {
          const w = weights.reduce((a, b) => a + b, 0n);
          fc.pre(w > 0n);
          const parts = allocateLargestRemainder(total, weights);
          expect(parts.reduce((a, b) => a + b, 0n)).toBe(total);
          parts.forEach((p, i) => {
            const floor = (total * (weights[i] ?? 0n)) / w;
            expect(p === floor || p === floor + 1n).toBe(true);
          });
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Property tests over random rule sets and orders.

const SKUS = ['s1', 's2', 's3', 's4'];
const CATS = ['c1', 'c2', 'c3'];
const mult = fc.integer({ min: 100, max: 400 });
const codeMap = <T>(keys: string[], value: fc.Arbitrary<T>): fc.Arbitrary<Record<string, T>> =>
  fc.subarray(keys).chain((ks) => fc.tuple(...ks.map(() => value)).map((vs) => Object.fromEntries(ks.map((k, i) => [k, vs[i] as T]))));

const campaignArb = fc.record(
  {
    name: fc.constantFrom('会员日双倍积分', '周末活动', '午市加赠'),
    startsAt: fc.constantFrom('2026-01-01T00:00:00+08:00', '2026-06-01T00:00:00Z'),
    endsAt: fc.constantFrom('2026-12-01T00:00:00+08:00', '2027-01-01T00:00:00Z'),
    weekdays: fc.subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 1 }),
    hours: fc.constantFrom({ from: '10:00', to: '14:00' }, { from: '22:00', to: '02:00' }),
    brandCodes: fc.constant<string[]>(['B1']),
    storeCodes: fc.subarray(['S1', 'S2'], { minLength: 1 }),
    multiplierPercent: mult,
    bonusPoints: fc.integer({ min: 0, max: 50 }),
  },
  { requiredKeys: ['name', 'startsAt', 'endsAt', 'multiplierPercent'] },
);

const ruleSetArb: fc.Arbitrary<RuleSetInput> = fc.record(
  {
    baseRate: fc.integer({ min: 0, max: 20 }),
    growthPerYuan: fc.integer({ min: 0, max: 5 }),
    excludedCategories: fc.subarray(CATS, { maxLength: 1 }),
    excludedSkus: fc.subarray(SKUS, { maxLength: 1 }),
    categoryMultipliers: codeMap(CATS, mult),
    skuMultipliers: codeMap(SKUS, mult),
    categoryBonuses: codeMap(CATS, fc.integer({ min: 0, max: 10 })),
    skuBonuses: codeMap(SKUS, fc.integer({ min: 0, max: 10 })),
    campaigns: fc.array(campaignArb, { maxLength: 3 }).map((cs) => cs.map((c, i) => ({ id: `c${i}`, ...c }))),
    // Bonuses rise with the threshold (the schema requires it); listed in random order.
    spendThresholds: fc.uniqueArray(fc.integer({ min: 1, max: 50_000 }), { maxLength: 3 }).chain((mins) =>
      fc.tuple(...mins.map(() => fc.integer({ min: 1, max: 100 }))).map((steps) => {
        const sorted = [...mins].sort((a, b) => a - b);
        let bonus = -1;
        const bonusAt = new Map(sorted.map((m, i) => [m, (bonus += steps[i] ?? 1)]));
        return mins.map((minEligibleFen) => ({
          minEligibleFen,
          bonusPoints: bonusAt.get(minEligibleFen) ?? 0,
        }));
      }),
    ),
    tierMultipliers: codeMap(['silver', 'gold'], mult),
    birthday: fc.record({
      multiplierPercent: mult,
      window: fc.constantFrom('day' as const, 'month' as const),
    }),
    firstPurchaseBonus: fc.integer({ min: 0, max: 200 }),
    caps: fc.record(
      {
        perOrder: fc.integer({ min: 0, max: 2000 }),
        perMemberPerDay: fc.integer({ min: 0, max: 3000 }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

const lineArb = fc
  .record({
    sku: fc.constantFrom(...SKUS),
    name: fc.constantFrom('酸奶', '面包', '礼品卡'),
    category: fc.option(fc.constantFrom(...CATS), { nil: undefined }),
    qty: fc.integer({ min: 1, max: 5 }),
    unitPriceFen: fc.integer({ min: 0, max: 30_000 }),
    discountPermille: fc.integer({ min: 0, max: 1000 }),
  })
  .map(({ discountPermille, ...l }) => ({
    ...l,
    discountFen: Math.floor((l.qty * l.unitPriceFen * discountPermille) / 1000),
  }));

/** An order plus the most that could be paid with points (so tests can vary pointsPaidFen). */
const orderArb = fc
  .record({
    lines: fc.array(lineArb, { minLength: 1, maxLength: 5 }),
    offPermille: fc.integer({ min: 0, max: 1000 }),
    couponPermille: fc.integer({ min: 0, max: 1000 }),
    paidPermille: fc.integer({ min: 0, max: 1000 }),
    member: fc.record({
      tierCode: fc.option(fc.constantFrom('bronze', 'silver', 'gold'), { nil: undefined }),
      birthday: fc.option(fc.constantFrom('11-18', '11-05', '02-29', '06-01'), { nil: undefined }),
      isFirstPurchase: fc.boolean(),
      pointsAlreadyEarnedToday: fc.integer({ min: 0, max: 4000 }),
    }),
    storeCode: fc.constantFrom('S1', 'S2', 'S3'),
    placedMs: fc.integer({
      min: Date.parse('2025-12-25T00:00:00Z'),
      max: Date.parse('2027-01-05T00:00:00Z'),
    }),
  })
  .map(({ lines, offPermille, couponPermille, paidPermille, placedMs, ...rest }) => {
    const net = lines.reduce((a, l) => a + l.qty * l.unitPriceFen - l.discountFen, 0);
    const off = Math.floor((net * offPermille) / 1000);
    const couponFen = Math.floor((off * couponPermille) / 1000);
    const maxPaid = net - off;
    const input: EarningInput = {
      ...rest,
      lines,
      orderDiscountFen: off - couponFen,
      couponFen,
      pointsPaidFen: Math.floor((maxPaid * paidPermille) / 1000),
      brandCode: 'B1',
      placedAt: new Date(placedMs).toISOString(),
    };
    return { input, maxPaid };
  });

describe('properties', () => {
  it('trace deltas sum to points; points, lines and eligible amounts are consistent', () => {
    fc.assert(
      fc.property(ruleSetArb, orderArb, (rs, { input }) => {
        const r = evaluateEarning(rules(rs), input);
        expect(traceSum(r)).toBe(r.points);
        expect(r.points).toBeGreaterThanOrEqual(0);
        expect(Number.isSafeInteger(r.points)).toBe(true);
        expect(r.lines.reduce((a, l) => a + l.points, 0)).toBe(r.points);
        expect(r.lines.reduce((a, l) => a + l.eligibleFen, 0)).toBe(r.eligibleFen);
        for (const l of r.lines) {
          expect(l.points).toBeGreaterThanOrEqual(0);
          expect(l.eligibleFen).toBeGreaterThanOrEqual(0);
        }
        expect(summarizeTrace(r.trace).startsWith('消费￥')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('points are monotone non-decreasing in baseRate', () => {
    fc.assert(
      fc.property(ruleSetArb, orderArb, fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 }), (rs, { input }, a, b) => {
        const low = evaluateEarning(rules({ ...rs, baseRate: Math.min(a, b) }), input);
        const high = evaluateEarning(rules({ ...rs, baseRate: Math.max(a, b) }), input);
        expect(low.points).toBeLessThanOrEqual(high.points);
      }),
      { numRuns: 300 },
    );
  });

  it('paying more with points never increases points', () => {
    fc.assert(
      fc.property(ruleSetArb, orderArb, fc.nat(), fc.nat(), (rs, { input, maxPaid }, x, y) => {
        const p1 = maxPaid === 0 ? 0 : x % (maxPaid + 1);
        const p2 = maxPaid === 0 ? 0 : y % (maxPaid + 1);
        const set = rules(rs);
        const less = evaluateEarning(set, { ...input, pointsPaidFen: Math.min(p1, p2) });
        const more = evaluateEarning(set, { ...input, pointsPaidFen: Math.max(p1, p2) });
        expect(more.points).toBeLessThanOrEqual(less.points);
        expect(more.growth).toBeLessThanOrEqual(less.growth);
      }),
      { numRuns: 300 },
    );
  });

  it('paying more with points never increases points: small lines, one strongly multiplied', () => {
    const smallOrder = fc.array(fc.integer({ min: 1, max: 600 }), { minLength: 2, maxLength: 5 });
    fc.assert(
      fc.property(smallOrder, fc.nat(), fc.integer({ min: 1, max: 5 }), (prices, x, rate) => {
        const lines = prices.map((unitPriceFen, i) => line({ sku: i === 0 ? 'hi' : `s${i}`, unitPriceFen }));
        const total = prices.reduce((a, b) => a + b, 0);
        const paid = x % total;
        const rs = rules({ baseRate: rate, skuMultipliers: { hi: 1000 } });
        const less = evaluateEarning(rs, order({ lines, pointsPaidFen: paid }));
        const more = evaluateEarning(rs, order({ lines, pointsPaidFen: paid + 1 }));
        expect(more.points).toBeLessThanOrEqual(less.points);
      }),
      { numRuns: 2000 },
    );
  });

  it('paying everything with points earns nothing', () => {
    fc.assert(
      fc.property(ruleSetArb, orderArb, (rs, { input, maxPaid }) => {
        const r = evaluateEarning(rules(rs), { ...input, pointsPaidFen: maxPaid });
        expect(r.points).toBe(0);
        expect(r.growth).toBe(0);
      }),
    );
  });

  it('growth depends only on the eligible amount and growthPerYuan', () => {
    fc.assert(
      fc.property(ruleSetArb, orderArb, (rs, { input }) => {
        const r = evaluateEarning(rules(rs), input);
        const plain = evaluateEarning(
          rules({
            growthPerYuan: rs.growthPerYuan,
            excludedCategories: rs.excludedCategories,
            excludedSkus: rs.excludedSkus,
          }),
          input,
        );
        expect(r.growth).toBe(plain.growth);
        expect(r.growth).toBe(Math.floor((r.eligibleFen * (rs.growthPerYuan ?? 1)) / 100));
      }),
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(ruleSetArb, orderArb, (rs, { input }) => {
        expect(evaluateEarning(rules(rs), input)).toEqual(evaluateEarning(rules(rs), JSON.parse(JSON.stringify(input)) as EarningInput));
      }),
    );
  });
});
