/**
 * Membership tiers (青铜/白银/黄金/铂金 …), driven by growth value, never by the spendable points
 * balance: spending points must not cost a member their tier, and buying points must not buy one.
 *
 * Upgrades happen at once, as soon as growth reaches the next tier. Downgrades happen only at the monthly
 * review, only after the member has held the tier for `retentionMonths`, and only after a warning at an
 * earlier review, so nobody loses a tier without notice.
 */
import { z } from 'zod';
import { JifenError } from '../errors.js';
import { fen, formatYuan, type Fen } from './money.js';
import { CodeSchema, NonNegativeIntSchema, parseOnce, parseOrThrow } from './rules/schema.js';
import { IsoInstantSchema, addMonthsChina, chinaDate, parseInstant } from './time.js';

export const TierSchema = z.strictObject({
  code: CodeSchema,
  /** Display name without "会员", e.g. "黄金" (texts say "黄金会员"). */
  name: z.string().min(1).max(20),
  /** Growth value needed to reach the tier. */
  minGrowth: NonNegativeIntSchema,
});

export const TierSetSchema = z
  .strictObject({
    /** 3 to 5 tiers, lowest first; the first starts at 0 so every member has a tier. */
    tiers: z.array(TierSchema).min(3).max(5),
    /** Months a member keeps a tier before it can be lowered. */
    retentionMonths: z.int().min(1).max(120).default(12),
  })
  .superRefine((set, ctx) => {
    if (set.tiers[0] && set.tiers[0].minGrowth !== 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'the first tier must start at 0',
        path: ['tiers', 0, 'minGrowth'],
      });
    }
    const codes = new Set<string>();
    set.tiers.forEach((t, i) => {
      if (codes.has(t.code)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate tier code ${t.code}`,
          path: ['tiers', i, 'code'],
        });
      }
      codes.add(t.code);
      const prev = set.tiers[i - 1];
      if (prev && t.minGrowth <= prev.minGrowth) {
        ctx.addIssue({
          code: 'custom',
          message: 'minGrowth must be strictly increasing',
          path: ['tiers', i, 'minGrowth'],
        });
      }
    });
  });

export type Tier = z.output<typeof TierSchema>;
export type TierSet = z.output<typeof TierSetSchema>;
export type TierSetInput = z.input<typeof TierSetSchema>;

/** The usual four tiers, 12 months' retention. */
export const DEFAULT_TIERS: TierSet = deepFreeze(
  TierSetSchema.parse({
    tiers: [
      { code: 'bronze', name: '青铜', minGrowth: 0 },
      { code: 'silver', name: '白银', minGrowth: 1000 },
      { code: 'gold', name: '黄金', minGrowth: 5000 },
      { code: 'platinum', name: '铂金', minGrowth: 20000 },
    ],
    retentionMonths: 12,
  }),
);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The highest tier whose minimum the growth value reaches.
 * @throws JifenError VALIDATION_FAILED if the tier set is invalid or growth is not a non-negative integer.
 */
export function tierForGrowth(tiers: TierSet, growth: number): Tier {
  const set = parseOnce(TierSetSchema, tiers, 'tiers');
  return set.tiers[indexForGrowth(set, checkGrowth(growth, 'growth'))] as Tier;
}

export interface TierProgress {
  current: Tier;
  /** The next tier up, or null at the top. */
  next: Tier | null;
  /** Growth value still needed for `next` (0 at the top). */
  growthNeeded: number;
  /**
   * Eligible spend needed to earn `growthNeeded` in one order, rounded up because growth per order is
   * rounded down; 0 at the top; null when the program gives no growth for spending (growthPerYuan 0).
   */
  fenNeeded: Fen | null;
  /** e.g. "再消费￥38.00升级黄金会员", "已是最高等级". */
  text: string;
}

/**
 * Where a member stands and what it takes to reach the next tier.
 * @param growthPerYuan the rule set's `growthPerYuan`, to turn growth into spend.
 * @throws JifenError VALIDATION_FAILED if the tier set is invalid or growth / growthPerYuan is not a
 *   non-negative integer.
 */
export function progressToNext(tiers: TierSet, growth: number, growthPerYuan: number): TierProgress {
  const set = parseOnce(TierSetSchema, tiers, 'tiers');
  const g = checkGrowth(growth, 'growth');
  const perYuan = checkGrowth(growthPerYuan, 'growthPerYuan');
  const i = indexForGrowth(set, g);
  const current = set.tiers[i] as Tier;
  const next = set.tiers[i + 1];
  if (!next) return { current, next: null, growthNeeded: 0, fenNeeded: fen(0), text: '已是最高等级' };
  const growthNeeded = next.minGrowth - g;
  if (perYuan === 0) {
    return {
      current,
      next,
      growthNeeded,
      fenNeeded: null,
      text: `还需成长值${growthNeeded}升级${next.name}会员`,
    };
  }
  // Growth per order is floor(fen × perYuan / 100), so the smallest spend is ceil(needed × 100 / perYuan).
  const num = BigInt(growthNeeded) * 100n;
  const den = BigInt(perYuan);
  const fenNeeded = fen(Number((num + den - 1n) / den));
  return {
    current,
    next,
    growthNeeded,
    fenNeeded,
    text: `再消费${formatYuan(fenNeeded)}升级${next.name}会员`,
  };
}

/**
 * The tier to move up to when growth reaches a higher tier, or null to stay: upgrades are immediate, and
 * this never lowers a tier (only `monthlyReview` does, after retention and a warning).
 * @throws JifenError VALIDATION_FAILED if the tier set is invalid, `currentCode` is not one of its tiers,
 *   or growth is not a non-negative integer.
 */
export function upgradeOnGrowth(tiers: TierSet, currentCode: string, growth: number): string | null {
  const set = parseOnce(TierSetSchema, tiers, 'tiers');
  const current = indexOfCode(set, currentCode);
  const target = indexForGrowth(set, checkGrowth(growth, 'growth'));
  return target > current ? (set.tiers[target] as Tier).code : null;
}

export interface MonthlyReviewInput {
  tiers: TierSet;
  currentCode: string;
  /** When the member reached the current tier. */
  tierSince: string;
  /** Growth value earned over the 12 months before `asOf`. */
  rollingGrowth12m: number;
  /** When the member was last warned of a downgrade, if ever. */
  warnedAt?: string | null;
  asOf: string;
}

export interface MonthlyReviewResult {
  action: 'keep' | 'warn' | 'downgrade' | 'upgrade';
  /** The new tier for 'upgrade' and 'downgrade'. */
  toCode?: string;
  /** Member-readable message (subscribe message / notice). */
  text: string;
  /**
   * Whether the server should clear the stored `warnedAt`. On 'warn' it stores `warnedAt = asOf`
   * instead; otherwise it leaves it. Clearing once the member is back above the minimum (or has changed
   * tier) means an old warning can never justify a later downgrade.
   */
  clearWarning: boolean;
}

/** A warning must be at least this old to allow a downgrade: one monthly review cycle. */
export const WARNING_NOTICE_DAYS = 28;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The monthly tier review. In order:
 * - rolling growth reaches a higher tier → 'upgrade' (a catch-up; upgrades normally happen at once);
 * - rolling growth meets the current tier → 'keep', and any warning is cleared;
 * - below, held ≥ retentionMonths, and warned during this tier at least 28 days ago → 'downgrade' to
 *   the tier matching rolling growth (possibly several levels);
 * - below and not yet warned during this tier → 'warn';
 * - below and already warned, but retention or notice has not run out → 'keep'.
 * @throws JifenError VALIDATION_FAILED if the tier set or an instant is invalid, `currentCode` is not
 *   one of the tiers, or rollingGrowth12m is not a non-negative integer.
 */
export function monthlyReview(input: MonthlyReviewInput): MonthlyReviewResult {
  const set = parseOnce(TierSetSchema, input.tiers, 'tiers');
  const growth = checkGrowth(input.rollingGrowth12m, 'rollingGrowth12m');
  const since = parseInstant(parseOrThrow(IsoInstantSchema, input.tierSince, 'tierSince'));
  const asOf = parseInstant(parseOrThrow(IsoInstantSchema, input.asOf, 'asOf'));
  const warnedAt = input.warnedAt == null ? null : parseInstant(parseOrThrow(IsoInstantSchema, input.warnedAt, 'warnedAt'));
  const currentIndex = indexOfCode(set, input.currentCode);
  const current = set.tiers[currentIndex] as Tier;
  const targetIndex = indexForGrowth(set, growth);
  const target = set.tiers[targetIndex] as Tier;

  if (targetIndex > currentIndex) {
    return {
      action: 'upgrade',
      toCode: target.code,
      text: `恭喜升级为${target.name}会员`,
      clearWarning: true,
    };
  }
  if (growth >= current.minGrowth) {
    return {
      action: 'keep',
      text: `近12个月成长值${growth}，继续保持${current.name}会员`,
      clearWarning: true,
    };
  }

  const retentionEnds = addMonthsChina(input.tierSince, set.retentionMonths);
  const heldLongEnough = asOf >= parseInstant(retentionEnds);
  // A warning from before the member reached this tier was about another tier: it does not count.
  const warnedThisTier = warnedAt !== null && warnedAt >= since;
  const noticeServed = warnedThisTier && asOf - warnedAt >= WARNING_NOTICE_DAYS * DAY_MS;
  const shortfall = `近12个月成长值${growth}，低于${current.name}会员保级标准${current.minGrowth}`;

  if (heldLongEnough && noticeServed) {
    return {
      action: 'downgrade',
      toCode: target.code,
      text: `${shortfall}，会员等级调整为${target.name}会员`,
      clearWarning: true,
    };
  }
  const reviewWhen = parseInstant(retentionEnds) <= parseInstant(addMonthsChina(input.asOf, 1)) ? '下月' : `${chinaDate(retentionEnds)}后`;
  if (!warnedThisTier) {
    return {
      action: 'warn',
      text: `您的会员等级将于${reviewWhen}复核：${shortfall}，届时未达标将调整为${target.name}会员`,
      clearWarning: false,
    };
  }
  return {
    action: 'keep',
    text: `${shortfall}，将于${reviewWhen}复核，当前保持${current.name}会员`,
    clearWarning: false,
  };
}

function checkGrowth(n: number, field: string): number {
  return parseOrThrow(NonNegativeIntSchema, n, field);
}

function indexForGrowth(set: TierSet, growth: number): number {
  let index = 0;
  set.tiers.forEach((t, i) => {
    if (growth >= t.minGrowth) index = i;
  });
  return index;
}

function indexOfCode(set: TierSet, code: string): number {
  const i = set.tiers.findIndex((t) => t.code === code);
  if (i < 0) throw new JifenError('VALIDATION_FAILED', `unknown tier code ${code}`, 'currentCode');
  return i;
}
