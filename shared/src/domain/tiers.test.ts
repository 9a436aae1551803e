import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { JifenError } from '../errors.js';
import {
  DEFAULT_TIERS,
  TierSetSchema,
  monthlyReview,
  progressToNext,
  tierForGrowth,
  upgradeOnGrowth,
  type MonthlyReviewInput,
} from './tiers.js';

const tier = (code: string, minGrowth: number) => ({ code, name: code, minGrowth });

describe('TierSetSchema', () => {
  it('DEFAULT_TIERS is bronze/silver/gold/platinum with 12 months retention', () => {
    expect(DEFAULT_TIERS.tiers.map((t) => [t.code, t.name, t.minGrowth])).toEqual([
      ['bronze', '青铜', 0],
      ['silver', '白银', 1000],
      ['gold', '黄金', 5000],
      ['platinum', '铂金', 20000],
    ]);
    expect(DEFAULT_TIERS.retentionMonths).toBe(12);
    expect(Object.isFrozen(DEFAULT_TIERS.tiers[0])).toBe(true);
  });

  it('defaults retentionMonths to 12', () => {
    const set = TierSetSchema.parse({ tiers: [tier('a', 0), tier('b', 10), tier('c', 20)] });
    expect(set.retentionMonths).toBe(12);
  });

  it('rejects fewer than 3 or more than 5 tiers', () => {
    expect(TierSetSchema.safeParse({ tiers: [tier('a', 0), tier('b', 10)] }).success).toBe(false);
    const six = [0, 1, 2, 3, 4, 5].map((n) => tier(`t${n}`, n * 10));
    expect(TierSetSchema.safeParse({ tiers: six }).success).toBe(false);
    expect(TierSetSchema.safeParse({ tiers: six.slice(0, 5) }).success).toBe(true);
  });

  it('rejects a first tier above 0, non-increasing minimums and duplicate codes', () => {
    expect(TierSetSchema.safeParse({ tiers: [tier('a', 1), tier('b', 10), tier('c', 20)] }).success).toBe(false);
    expect(TierSetSchema.safeParse({ tiers: [tier('a', 0), tier('b', 10), tier('c', 10)] }).success).toBe(false);
    expect(TierSetSchema.safeParse({ tiers: [tier('a', 0), tier('b', 20), tier('c', 10)] }).success).toBe(false);
    expect(TierSetSchema.safeParse({ tiers: [tier('a', 0), tier('a', 10), tier('c', 20)] }).success).toBe(false);
  });
});

describe('tierForGrowth', () => {
  it('picks the highest tier reached', () => {
    const codeAt = (g: number) => tierForGrowth(DEFAULT_TIERS, g).code;
    expect(codeAt(0)).toBe('bronze');
    expect(codeAt(999)).toBe('bronze');
    expect(codeAt(1000)).toBe('silver');
    expect(codeAt(4999)).toBe('silver');
    expect(codeAt(5000)).toBe('gold');
    expect(codeAt(20000)).toBe('platinum');
    expect(codeAt(10_000_000)).toBe('platinum');
  });

  it('rejects negative or fractional growth', () => {
    expect(() => tierForGrowth(DEFAULT_TIERS, -1)).toThrow(JifenError);
    expect(() => tierForGrowth(DEFAULT_TIERS, 1.5)).toThrow(JifenError);
  });
});

describe('progressToNext', () => {
  it('says how much more to spend, in yuan', () => {
    const p = progressToNext(DEFAULT_TIERS, 4962, 1);
    expect(p.current.code).toBe('silver');
    expect(p.next?.code).toBe('gold');
    expect(p.growthNeeded).toBe(38);
    expect(p.fenNeeded).toBe(3800);
    expect(p.text).toBe('再消费￥38.00升级黄金会员');
  });

  it('rounds the spend up, because growth per order is rounded down', () => {
    const p = progressToNext(DEFAULT_TIERS, 4962, 3);
    // 1267 fen × 3 / 100 = 38.01 → 38 growth; 1266 fen would give only 37.
    expect(p.fenNeeded).toBe(1267);
    expect(p.text).toBe('再消费￥12.67升级黄金会员');
  });

  it('at the top tier', () => {
    const p = progressToNext(DEFAULT_TIERS, 25000, 1);
    expect(p.current.code).toBe('platinum');
    expect(p.next).toBeNull();
    expect(p.growthNeeded).toBe(0);
    expect(p.text).toBe('已是最高等级');
  });

  it('when spending gives no growth, reports growth instead of yuan', () => {
    const p = progressToNext(DEFAULT_TIERS, 0, 0);
    expect(p.fenNeeded).toBeNull();
    expect(p.text).toBe('还需成长值1000升级白银会员');
  });

  it('property: spending fenNeeded in one order reaches the next tier, one fen less does not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 19_999 }), fc.integer({ min: 1, max: 7 }), (growth, perYuan) => {
        const p = progressToNext(DEFAULT_TIERS, growth, perYuan);
        const earned = (f: number) => Math.floor((f * perYuan) / 100);
        expect(p.fenNeeded).not.toBeNull();
        const f = p.fenNeeded as number;
        expect(tierForGrowth(DEFAULT_TIERS, growth + earned(f)).code).toBe(p.next?.code);
        expect(growth + earned(f - 1)).toBeLessThan(p.next?.minGrowth ?? 0);
      }),
    );
  });
});

describe('upgradeOnGrowth', () => {
  it('upgrades at once, possibly several levels', () => {
    expect(upgradeOnGrowth(DEFAULT_TIERS, 'silver', 5000)).toBe('gold');
    expect(upgradeOnGrowth(DEFAULT_TIERS, 'bronze', 25000)).toBe('platinum');
  });

  it('never downgrades and stays put within the tier', () => {
    expect(upgradeOnGrowth(DEFAULT_TIERS, 'gold', 100)).toBeNull();
    expect(upgradeOnGrowth(DEFAULT_TIERS, 'gold', 19999)).toBeNull();
  });

  it('rejects an unknown tier code', () => {
    expect(() => upgradeOnGrowth(DEFAULT_TIERS, 'diamond', 100)).toThrow(JifenError);
  });
});

describe('monthlyReview', () => {
  const base: MonthlyReviewInput = {
    tiers: DEFAULT_TIERS,
    currentCode: 'gold',
    tierSince: '2025-01-15T02:00:00Z',
    rollingGrowth12m: 6000,
    warnedAt: null,
    asOf: '2026-03-01T00:00:00Z',
  };

  it('keeps a member who still meets the tier, clearing any warning', () => {
    const r = monthlyReview({ ...base, warnedAt: '2026-02-01T00:00:00Z' });
    expect(r.action).toBe('keep');
    expect(r.toCode).toBeUndefined();
    expect(r.clearWarning).toBe(true);
    expect(r.text).toContain('黄金会员');
  });

  it('upgrades when rolling growth reaches a higher tier', () => {
    const r = monthlyReview({ ...base, rollingGrowth12m: 21000 });
    expect(r).toMatchObject({ action: 'upgrade', toCode: 'platinum', clearWarning: true });
    expect(r.text).toBe('恭喜升级为铂金会员');
  });

  it('warns the first time the member is below the minimum', () => {
    const r = monthlyReview({ ...base, rollingGrowth12m: 3000 });
    expect(r.action).toBe('warn');
    expect(r.toCode).toBeUndefined();
    expect(r.clearWarning).toBe(false);
    expect(r.text).toContain('您的会员等级将于下月复核');
    expect(r.text).toContain('白银会员');
  });

  it('downgrades after retention and a warning at an earlier review', () => {
    const r = monthlyReview({ ...base, rollingGrowth12m: 3000, warnedAt: '2026-02-01T00:00:00Z' });
    expect(r).toMatchObject({ action: 'downgrade', toCode: 'silver', clearWarning: true });
    expect(r.text).toContain('调整为白银会员');
  });

  it('a downgrade may drop several levels', () => {
    const r = monthlyReview({
      ...base,
      currentCode: 'platinum',
      rollingGrowth12m: 200,
      warnedAt: '2026-02-01T00:00:00Z',
    });
    expect(r).toMatchObject({ action: 'downgrade', toCode: 'bronze' });
  });

  it('does not downgrade when the warning is less than 28 days old (and does not warn again)', () => {
    const r = monthlyReview({ ...base, rollingGrowth12m: 3000, warnedAt: '2026-02-10T00:00:00Z' });
    expect(r.action).toBe('keep');
    expect(r.clearWarning).toBe(false);
  });

  it('does not downgrade within the retention period, even after a warning', () => {
    const r = monthlyReview({
      ...base,
      tierSince: '2025-06-01T02:00:00Z',
      rollingGrowth12m: 3000,
      warnedAt: '2025-12-01T00:00:00Z',
    });
    expect(r.action).toBe('keep');
    expect(r.text).toContain('2026-06-01后复核');
  });

  it('retention is counted in whole local months from tierSince', () => {
    const input = {
      ...base,
      tierSince: '2025-03-01T02:00:00Z',
      rollingGrowth12m: 3000,
      warnedAt: '2026-01-15T00:00:00Z',
    };
    expect(monthlyReview({ ...input, asOf: '2026-03-01T01:59:59Z' }).action).toBe('keep');
    expect(monthlyReview({ ...input, asOf: '2026-03-01T02:00:00Z' }).action).toBe('downgrade');
  });

  it('a warning given for a previous tier does not count: warn again', () => {
    const r = monthlyReview({ ...base, rollingGrowth12m: 3000, warnedAt: '2024-12-01T00:00:00Z' });
    expect(r.action).toBe('warn');
  });

  it('the lowest tier is never reviewed down', () => {
    const r = monthlyReview({ ...base, currentCode: 'bronze', rollingGrowth12m: 0 });
    expect(r.action).toBe('keep');
  });

  it('rejects unknown tier codes and bad instants', () => {
    expect(() => monthlyReview({ ...base, currentCode: 'diamond' })).toThrow(JifenError);
    expect(() => monthlyReview({ ...base, asOf: '2026-03-01' })).toThrow(JifenError);
  });
});
