/**
 * The earning engine: given one RuleSet and one order, how many points and how much growth value the
 * member earns, and why. Pure and deterministic (no clock, no randomness, no I/O): the kiosk previews
 * with it and the server settles with it, and both must agree to the point.
 *
 * Policies, in the order the engine applies them:
 * 1. What counts. Line net = qty × unit price − line discount. Order-level discounts and WeChat coupons
 *    are spread over all lines pro rata by net amount (largest remainder, so the parts sum exactly).
 *    Excluded lines (category or SKU) then drop out entirely. The part paid with points is spread over
 *    the remaining eligible lines (largest remainder) and subtracted: it never earns.
 * 2. Base. base = floor(eligibleFen × baseRate / 100), rounded down once for the whole order, so a
 *    member who spends ￥128.00 sees 128 points rather than a sum of per-line roundings.
 * 3. Multipliers stack ADDITIVELY on the base, never on each other: member day ×2 and gold ×1.5 give
 *    base × (100 + 100 + 50)% = ×2.5, not ×3. Each multiplier contributes its own extra,
 *    floor(base × (percent − 100) / 100), shown as its own trace line so a member can check each line
 *    by hand; the sum of separately rounded extras may be a point or two below floor(base × 250%).
 *    Category/SKU multipliers work the same way on the line's own (unrounded) share of the base.
 * 4. Bonuses: per unit (category/SKU), per order (campaign), the highest spend threshold reached, the
 *    first-purchase bonus. An order or line with nothing eligible gets no bonus: otherwise a gift-card-
 *    only order, or one paid entirely with points, would farm flat bonuses.
 * 5. Caps, last: per order, then per member per China local day (`pointsAlreadyEarnedToday`).
 * Growth value = floor(eligibleFen × growthPerYuan / 100): no multiplier, bonus or cap touches it.
 *
 * All arithmetic is BigInt: eligibleFen × rate × percent can exceed 2^53 for large orders.
 */
import { fen, formatYuan, points, type Fen, type Points } from '../money.js';
import { JifenError } from '../../errors.js';
import { chinaLocalParts, isLeapYear, parseHhMm, type ChinaLocalParts } from '../time.js';
import {
  EarningInputSchema,
  checkRuleSet,
  parseOrThrow,
  type Campaign,
  type EarningInput,
  type RuleSet,
  type SpendThreshold,
  type TraceEntry,
  type TraceRule,
} from './schema.js';

export interface EarningLineResult {
  sku: string;
  /** The line's share of the eligible amount (after discounts, coupons and the points-paid share). */
  eligibleFen: Fen;
  /**
   * The line's share of the order's final points, including its share of order-level bonuses and of
   * any cap, so the lines sum exactly to the order's points and a partial refund can reverse exactly
   * the points its lines earned.
   */
  points: Points;
}

export interface EarningResult {
  points: Points;
  /** Growth value (drives tiers); kept apart from spendable points. */
  growth: number;
  eligibleFen: Fen;
  lines: EarningLineResult[];
  /** Step by step, in member-readable Chinese; the deltas sum to `points`. */
  trace: TraceEntry[];
}

const ZERO = 0n;
const HUNDRED = 100n;

/**
 * Splits `total` into integer parts proportional to `weights` (largest-remainder / Hamilton method):
 * each part gets floor(total × w / W), and the units left over go one each to the largest remainders,
 * ties to the earlier index. The parts sum exactly to `total`, and when total ≤ W no part exceeds its
 * weight. Zero weights get zero.
 * @throws RangeError if total or a weight is negative, or total > 0 while all weights are zero.
 */
export function allocateLargestRemainder(total: bigint, weights: readonly bigint[]): bigint[] {
  if (total < ZERO) throw new RangeError('total must be non-negative');
  let sumW = ZERO;
  for (const w of weights) {
    if (w < ZERO) throw new RangeError('weights must be non-negative');
    sumW += w;
  }
  if (sumW === ZERO) {
    if (total === ZERO) return weights.map(() => ZERO);
    throw new RangeError('cannot allocate a positive total over zero weights');
  }
  const parts = weights.map((w) => (total * w) / sumW);
  let left = total - parts.reduce((a, b) => a + b, ZERO);
  const order = weights
    .map((w, i) => ({ i, rem: (total * w) % sumW }))
    .sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const { i } of order) {
    if (left === ZERO) break;
    parts[i] = (parts[i] ?? ZERO) + 1n;
    left -= 1n;
  }
  return parts;
}

/**
 * Points and growth a member earns for one order, with a trace of every rule that applied.
 * Settlement calls this with the RuleSet version in force at `placedAt`; the kiosk calls the same
 * function (also exported as `previewEarning`) to show the preview, so both always agree.
 * @throws JifenError VALIDATION_FAILED if the rule set or the input is invalid (field set to the
 *   offending path), if order discounts plus coupons exceed the lines' net amount, if the points-paid
 *   amount exceeds what is left to pay, or if the amounts exceed 2^53.
 */
export function evaluateEarning(ruleSet: RuleSet, rawInput: EarningInput): EarningResult {
  const rules = checkRuleSet(ruleSet);
  const input = parseOrThrow(EarningInputSchema, rawInput, 'input');
  const trace: TraceEntry[] = [];
  const add = (rule: TraceRule, delta: bigint, text: string): void => {
    trace.push({ rule, points: toSafe(delta, 'points'), text });
  };

  // 1. What counts.
  const net = input.lines.map((l) => BigInt(l.qty) * BigInt(l.unitPriceFen) - BigInt(l.discountFen));
  const netTotal = sum(net);
  toSafe(netTotal, 'order amount');
  const orderOff = BigInt(input.orderDiscountFen) + BigInt(input.couponFen);
  if (orderOff > netTotal) {
    throw new JifenError('VALIDATION_FAILED', 'order discount and coupon exceed the order amount', 'orderDiscountFen');
  }
  const offShares = allocateLargestRemainder(orderOff, net);
  const payable = net.map((n, i) => n - at(offShares, i));
  const pointsPaid = BigInt(input.pointsPaidFen);
  if (pointsPaid > netTotal - orderOff) {
    throw new JifenError('VALIDATION_FAILED', 'pointsPaidFen exceeds the amount to pay', 'pointsPaidFen');
  }
  const excluded = input.lines.map(
    (l) => rules.excludedSkus.includes(l.sku) || (l.category !== undefined && rules.excludedCategories.includes(l.category)),
  );
  // a_i: what each eligible line costs before the points payment.
  const before = payable.map((p, i) => (excluded[i] ? ZERO : p));
  const eligibleBefore = sum(before);
  // Points may have paid for excluded lines too; only the part up to the eligible amount is subtracted.
  const paidOnEligible = min(pointsPaid, eligibleBefore);
  const paidShares = allocateLargestRemainder(paidOnEligible, before);
  const eligible = before.map((a, i) => a - at(paidShares, i));
  const eligibleFen = eligibleBefore - paidOnEligible;

  input.lines.forEach((l, i) => {
    if (excluded[i]) add('excluded', ZERO, `${l.name}不计积分`);
  });
  if (input.orderDiscountFen > 0) add('order_discount', ZERO, `整单优惠${formatYuan(input.orderDiscountFen)}不计积分`);
  if (input.couponFen > 0) add('coupon', ZERO, `优惠券${formatYuan(input.couponFen)}不计积分`);
  if (input.pointsPaidFen > 0) add('points_paid', ZERO, `积分抵扣部分${formatYuan(input.pointsPaidFen)}不计积分`);

  // 2. Base, rounded down once per order.
  const rate = BigInt(rules.baseRate);
  const base = (eligibleFen * rate) / HUNDRED;
  add('base', base, `消费${formatYuan(Number(eligibleFen))}，基础积分${base}`);

  // 3–4. Line rules. A line multiplier applies to the line's exact pro-rata amount
  // a × eligibleFen / eligibleBefore, not to its rounded eligibleFen: largest-remainder rounding can
  // move a fen onto a multiplied line when more is paid with points (found by search: 320 fen paid gave
  // 15 points, 321 gave 16). The exact share only shrinks as the points payment grows.
  const lineExtras: bigint[] = input.lines.map(() => ZERO);
  input.lines.forEach((l, i) => {
    const a = at(before, i);
    if (excluded[i] || a === ZERO || eligibleFen === ZERO) return;
    const lineBaseTimes = (extraPercent: bigint): bigint => (a * eligibleFen * rate * extraPercent) / (eligibleBefore * HUNDRED * HUNDRED);
    const push = (rule: TraceRule, delta: bigint, text: string): void => {
      if (delta <= ZERO) return;
      lineExtras[i] = at(lineExtras, i) + delta;
      add(rule, delta, `${text} +${delta}`);
    };
    const catMult = l.category === undefined ? undefined : own(rules.categoryMultipliers, l.category);
    if (catMult !== undefined && catMult > 100) {
      push('category_multiplier', lineBaseTimes(BigInt(catMult - 100)), `${l.name}${formatMultiplier(catMult)}积分`);
    }
    const skuMult = own(rules.skuMultipliers, l.sku);
    if (skuMult !== undefined && skuMult > 100) {
      push('sku_multiplier', lineBaseTimes(BigInt(skuMult - 100)), `${l.name}${formatMultiplier(skuMult)}积分`);
    }
    const catBonus = l.category === undefined ? undefined : own(rules.categoryBonuses, l.category);
    if (catBonus !== undefined && catBonus > 0) {
      push('category_bonus', BigInt(catBonus) * BigInt(l.qty), `${l.name}每件奖励${catBonus}积分`);
    }
    const skuBonus = own(rules.skuBonuses, l.sku);
    if (skuBonus !== undefined && skuBonus > 0) {
      push('sku_bonus', BigInt(skuBonus) * BigInt(l.qty), `${l.name}每件奖励${skuBonus}积分`);
    }
  });

  // 3–4. Order rules: additive extras on the rounded base, and flat bonuses.
  let orderExtras = ZERO;
  const pushOrder = (rule: TraceRule, delta: bigint, label: string): void => {
    if (delta <= ZERO) return;
    orderExtras += delta;
    add(rule, delta, `${label} +${delta}`);
  };
  const extraOf = (percent: number): bigint => (base * BigInt(percent - 100)) / HUNDRED;
  if (eligibleFen > ZERO) {
    const local = chinaLocalParts(input.placedAt);
    const placedMs = Date.parse(input.placedAt);
    for (const c of rules.campaigns) {
      if (!campaignApplies(c, placedMs, local, input.brandCode, input.storeCode)) continue;
      const extra = c.multiplierPercent === undefined ? ZERO : extraOf(c.multiplierPercent);
      pushOrder('campaign', extra + BigInt(c.bonusPoints ?? 0), c.name);
    }
    const { tierCode, tierName, birthday } = input.member;
    const tierMult = tierCode === undefined ? undefined : own(rules.tierMultipliers, tierCode);
    if (tierMult !== undefined) {
      pushOrder('tier', extraOf(tierMult), `${tierName ?? tierCode}会员${formatMultiplier(tierMult)}`);
    }
    if (rules.birthday && birthday !== undefined && isBirthday(birthday, rules.birthday.window, local)) {
      const when = rules.birthday.window === 'day' ? '生日当天' : '生日当月';
      pushOrder('birthday', extraOf(rules.birthday.multiplierPercent), `${when}${formatMultiplier(rules.birthday.multiplierPercent)}`);
    }
    const threshold = highestThreshold(rules, eligibleFen);
    if (threshold) {
      const label = `满${formatYuanShort(threshold.minEligibleFen)}赠${threshold.bonusPoints}积分`;
      pushOrder('threshold', BigInt(threshold.bonusPoints), label);
    }
    if (input.member.isFirstPurchase) pushOrder('first_purchase', BigInt(rules.firstPurchaseBonus), '首单奖励');
  }

  // 5. Caps, last.
  const uncapped = base + sum(lineExtras) + orderExtras;
  let total = uncapped;
  const { perOrder, perMemberPerDay } = rules.caps;
  if (perOrder !== undefined && total > BigInt(perOrder)) {
    const cut = total - BigInt(perOrder);
    add('cap_order', -cut, `单笔上限${perOrder}积分 -${cut}`);
    total -= cut;
  }
  if (perMemberPerDay !== undefined) {
    const remaining = max(ZERO, BigInt(perMemberPerDay) - BigInt(input.member.pointsAlreadyEarnedToday));
    if (total > remaining) {
      const cut = total - remaining;
      const label = remaining === ZERO ? `今日已达每日上限${perMemberPerDay}积分` : `每日上限${perMemberPerDay}积分`;
      add('cap_day', -cut, `${label} -${cut}`);
      total -= cut;
    }
  }

  // Per-line points: the line's base share and own extras, plus its share of order-level extras, then
  // scaled down to the capped total — all by largest remainder so the lines sum exactly.
  const baseShares = allocateLargestRemainder(base, eligible);
  const orderShares = allocateLargestRemainder(orderExtras, eligible);
  const raw = input.lines.map((_, i) => at(baseShares, i) + at(lineExtras, i) + at(orderShares, i));
  const finalShares = total === uncapped ? raw : allocateLargestRemainder(total, raw);

  const growth = (eligibleFen * BigInt(rules.growthPerYuan)) / HUNDRED;
  return {
    points: points(toSafe(total, 'points')),
    growth: toSafe(growth, 'growth'),
    eligibleFen: fen(toSafe(eligibleFen, 'eligibleFen')),
    lines: input.lines.map((l, i) => ({
      sku: l.sku,
      eligibleFen: fen(toSafe(at(eligible, i), 'eligibleFen')),
      points: points(toSafe(at(finalShares, i), 'points')),
    })),
    trace,
  };
}

/**
 * The kiosk's preview: exactly `evaluateEarning`, named for the call site. It must stay the same
 * function so that the points promised on screen are the points settled.
 * @throws JifenError VALIDATION_FAILED as `evaluateEarning`.
 */
export const previewEarning: (ruleSet: RuleSet, input: EarningInput) => EarningResult = evaluateEarning;

/**
 * One member-readable line for the points history, e.g. "消费￥128.00，会员日双倍积分，黄金会员1.5倍".
 * Built from the engine's own trace texts: the spend amount from the base entry, then the label of
 * every entry that changed the points (its text without the trailing "+N"/"-N").
 * Throws nothing.
 */
export function summarizeTrace(trace: readonly TraceEntry[]): string {
  const parts: string[] = [];
  for (const e of trace) {
    if (e.rule === 'base') {
      parts.push(e.text.split('，')[0] ?? e.text);
    } else if (e.points !== 0) {
      parts.push(e.text.replace(/\s*[+-]\d+$/, ''));
    }
  }
  return parts.join('，');
}

function campaignApplies(c: Campaign, placedMs: number, local: ChinaLocalParts, brand: string, store: string): boolean {
  if (placedMs < Date.parse(c.startsAt) || placedMs >= Date.parse(c.endsAt)) return false;
  if (c.brandCodes && !c.brandCodes.includes(brand)) return false;
  if (c.storeCodes && !c.storeCodes.includes(store)) return false;
  let weekday = local.weekday;
  if (c.hours) {
    const from = parseHhMm(c.hours.from);
    const to = parseHhMm(c.hours.to);
    const minute = local.hour * 60 + local.minute;
    if (from < to) {
      if (minute < from || minute >= to) return false;
    } else {
      if (minute < from && minute >= to) return false;
      // After midnight in an overnight window (Fri 22:00–02:00), the order belongs to the evening before.
      if (minute < to) weekday = weekday === 1 ? 7 : weekday - 1;
    }
  }
  return !c.weekdays || c.weekdays.includes(weekday);
}

/** A 02-29 birthday is celebrated on 02-28 in common years, so those members are not left out. */
function isBirthday(mmdd: string, window: 'day' | 'month', local: ChinaLocalParts): boolean {
  const month = Number(mmdd.slice(0, 2));
  let day = Number(mmdd.slice(3, 5));
  if (month !== local.month) return false;
  if (window === 'month') return true;
  if (month === 2 && day === 29 && !isLeapYear(local.year)) day = 28;
  return day === local.day;
}

function highestThreshold(rules: RuleSet, eligibleFen: bigint): SpendThreshold | undefined {
  let best: SpendThreshold | undefined;
  for (const t of rules.spendThresholds) {
    if (BigInt(t.minEligibleFen) <= eligibleFen && (!best || t.minEligibleFen > best.minEligibleFen)) best = t;
  }
  return best;
}

/** 200 → "双倍", 150 → "1.5倍", 125 → "1.25倍", 300 → "3倍". */
function formatMultiplier(percent: number): string {
  if (percent === 200) return '双倍';
  const whole = Math.floor(percent / 100);
  const frac = percent % 100;
  if (frac === 0) return `${whole}倍`;
  return `${whole}.${String(frac).padStart(2, '0').replace(/0$/, '')}倍`;
}

/** "￥200" for whole yuan (thresholds read better that way), otherwise "￥199.50". */
function formatYuanShort(amountFen: number): string {
  return amountFen % 100 === 0 ? `￥${amountFen / 100}` : formatYuan(amountFen);
}

/** Own-property lookup: a SKU named "constructor" must not find Object.prototype.constructor. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function at(xs: readonly bigint[], i: number): bigint {
  return xs[i] ?? ZERO;
}

function sum(xs: readonly bigint[]): bigint {
  return xs.reduce((a, b) => a + b, ZERO);
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function toSafe(n: bigint, what: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new JifenError('VALIDATION_FAILED', `${what} exceeds the safe integer range`);
  }
  return Number(n);
}
