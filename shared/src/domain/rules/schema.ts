/**
 * The RuleSet: how a brand (or a whole program) awards points and growth value. HQ edits it, the server
 * stores it as JSON in immutable versions, and an order is always settled with the version that was in
 * force when it was placed; the engine only ever sees one parsed RuleSet.
 *
 * Every field has a default, so `RuleSetSchema.parse({})` is the plain "1 point and 1 growth per yuan,
 * nothing else" set. Objects are strict: a misspelt key from the HQ editor (`baserate`) is an error
 * rather than being silently dropped and replaced by its default.
 *
 * All amounts are integers: fen, points, growth, and multipliers as integer percent (200 = ×2,
 * 150 = ×1.5), so no float ever enters a points computation.
 */
import { z } from 'zod';
import { JifenError } from '../../errors.js';
import { IsoInstantSchema, parseHhMm } from '../time.js';

/** Non-negative safe integer (fen, points, growth). */
export const NonNegativeIntSchema = z.int().min(0);

/**
 * A multiplier in integer percent. At least 100 (×1): a multiplier only ever adds points, because
 * multipliers stack additively and a "×0.5" mixed into a sum of bonuses has no meaning a member could
 * check. To earn less on some goods, exclude them or lower `baseRate`. At most 10000 (×100) to catch
 * typos such as 20000 for "×2".
 */
export const MultiplierPercentSchema = z.int().min(100).max(10_000);

/** A SKU, category, brand, store or tier code as used by the POS and the server. */
export const CodeSchema = z.string().min(1).max(64);

/** Local time of day `HH:MM` (China time); `24:00` is allowed as the end of a window. */
export const HhMmSchema = z.string().refine(
  (s) => {
    try {
      parseHhMm(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected HH:MM between 00:00 and 24:00' },
);

/**
 * A time-limited campaign. It applies to an order whose `placedAt` is in [startsAt, endsAt) and, when
 * given, falls on one of `weekdays` (1 = Monday … 7 = Sunday, China local date) and inside the
 * `hours` window (China local, `from` inclusive, `to` exclusive, minute precision; `from` later than
 * `to` wraps past midnight, e.g. 22:00–02:00), at one of `brandCodes` / `storeCodes` when given.
 * `multiplierPercent` stacks additively on the order's base points; `bonusPoints` is flat per order.
 */
export const CampaignSchema = z
  .strictObject({
    id: CodeSchema,
    /** Shown to members as is, e.g. "会员日双倍积分". */
    name: z.string().min(1).max(40),
    startsAt: IsoInstantSchema,
    endsAt: IsoInstantSchema,
    weekdays: z.array(z.int().min(1).max(7)).min(1).max(7).optional(),
    hours: z.strictObject({ from: HhMmSchema, to: HhMmSchema }).optional(),
    brandCodes: z.array(CodeSchema).min(1).optional(),
    storeCodes: z.array(CodeSchema).min(1).optional(),
    multiplierPercent: MultiplierPercentSchema.optional(),
    bonusPoints: NonNegativeIntSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (Date.parse(c.endsAt) <= Date.parse(c.startsAt)) {
      ctx.addIssue({ code: 'custom', message: 'endsAt must be after startsAt', path: ['endsAt'] });
    }
    if (c.multiplierPercent === undefined && c.bonusPoints === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'a campaign needs multiplierPercent or bonusPoints',
      });
    }
    if (c.hours && parseHhMmSafe(c.hours.from) === parseHhMmSafe(c.hours.to)) {
      ctx.addIssue({
        code: 'custom',
        message: 'hours.from and hours.to must differ',
        path: ['hours'],
      });
    }
  });

function parseHhMmSafe(s: string): number | null {
  try {
    return parseHhMm(s);
  } catch {
    return null;
  }
}

/**
 * "Spend at least X (eligible), get Y points": only the highest threshold reached applies, and a
 * higher threshold must give more points (checked on the RuleSet).
 */
export const SpendThresholdSchema = z.strictObject({
  minEligibleFen: z.int().min(1),
  bonusPoints: NonNegativeIntSchema,
});

/** Birthday multiplier: on the member's birthday (`day`) or during their birthday month (`month`). */
export const BirthdayRuleSchema = z.strictObject({
  multiplierPercent: MultiplierPercentSchema,
  window: z.enum(['day', 'month']),
});

export const CapsSchema = z.strictObject({
  /** Most points one order may earn. */
  perOrder: NonNegativeIntSchema.optional(),
  /** Most points a member may earn from purchases in one China local day. */
  perMemberPerDay: NonNegativeIntSchema.optional(),
});

/** Non-purchase grants; the server guarantees each is given once. */
export const GrantsSchema = z.strictObject({
  signupBonus: NonNegativeIntSchema.default(0),
  referral: z
    .strictObject({
      referrerPoints: NonNegativeIntSchema.default(0),
      refereePoints: NonNegativeIntSchema.default(0),
    })
    .prefault({}),
  birthdayGift: NonNegativeIntSchema.default(0),
});

const codeRecord = <T extends z.ZodType>(value: T) => z.record(CodeSchema, value).default({});

export const RuleSetSchema = z
  .strictObject({
    /** Points per yuan of eligible amount; the order's base is rounded down once. */
    baseRate: NonNegativeIntSchema.default(1),
    /** Growth value per yuan of eligible amount (rounded down); never multiplied, bonused or capped. */
    growthPerYuan: NonNegativeIntSchema.default(1),
    /** Lines in these categories earn nothing and do not count toward the eligible amount. */
    excludedCategories: z.array(CodeSchema).default([]),
    excludedSkus: z.array(CodeSchema).default([]),
    /** Percent multipliers on a line's base, by category / SKU; both stack additively if both match. */
    categoryMultipliers: codeRecord(MultiplierPercentSchema),
    skuMultipliers: codeRecord(MultiplierPercentSchema),
    /** Fixed points per unit bought, by category / SKU; both apply if both match. */
    categoryBonuses: codeRecord(NonNegativeIntSchema),
    skuBonuses: codeRecord(NonNegativeIntSchema),
    campaigns: z.array(CampaignSchema).default([]),
    spendThresholds: z.array(SpendThresholdSchema).default([]),
    /** Percent multiplier by tier code, e.g. `{ gold: 150 }`. */
    tierMultipliers: codeRecord(MultiplierPercentSchema),
    birthday: BirthdayRuleSchema.optional(),
    /** Points added to a member's first purchase. */
    firstPurchaseBonus: NonNegativeIntSchema.default(0),
    caps: CapsSchema.default({}),
    grants: GrantsSchema.prefault({}),
  })
  .superRefine((r, ctx) => {
    const ids = new Set<string>();
    r.campaigns.forEach((c, i) => {
      if (ids.has(c.id)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate campaign id ${c.id}`,
          path: ['campaigns', i, 'id'],
        });
      }
      ids.add(c.id);
    });
    // A higher threshold must give more points. Only the highest threshold reached applies, so a table
    // like "￥100 → 20, ￥200 → 10" would make a member earn more by spending (or paying) less cash.
    const byMin = r.spendThresholds.map((t, i) => ({ ...t, i })).sort((a, b) => a.minEligibleFen - b.minEligibleFen);
    byMin.forEach((t, k) => {
      const prev = byMin[k - 1];
      if (prev && t.minEligibleFen === prev.minEligibleFen) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate threshold ${t.minEligibleFen}`,
          path: ['spendThresholds', t.i, 'minEligibleFen'],
        });
      } else if (prev && t.bonusPoints <= prev.bonusPoints) {
        ctx.addIssue({
          code: 'custom',
          message: 'a higher threshold must give more bonus points',
          path: ['spendThresholds', t.i, 'bonusPoints'],
        });
      }
    });
  });

/** A parsed RuleSet (all defaults filled in). */
export type RuleSet = z.output<typeof RuleSetSchema>;

/** Values each schema has already accepted, frozen so they cannot change afterwards. */
const checked = new WeakMap<z.ZodType, WeakSet<object>>();

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Parses a configuration value (a rule set, a tier set) once for repeated use: the result is deeply
 * frozen and remembered, and passing it again returns it without running the schema. Settlement
 * and the till evaluate the same cached program configuration on every request.
 * @throws JifenError VALIDATION_FAILED, like parseOrThrow.
 */
export function parseOnce<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  let seen = checked.get(schema);
  if (!seen) checked.set(schema, (seen = new WeakSet()));
  if (value !== null && typeof value === 'object' && seen.has(value)) return value as z.output<S>;
  const parsed = deepFreeze(parseOrThrow(schema, value, what));
  if (parsed !== null && typeof parsed === 'object') seen.add(parsed);
  return parsed;
}

/** A rule set parsed once (see parseOnce): `evaluateEarning` skips the schema on it. */
export function checkRuleSet(value: unknown): RuleSet {
  return parseOnce(RuleSetSchema, value, 'ruleSet');
}
/** What HQ may submit: every field optional. */
export type RuleSetInput = z.input<typeof RuleSetSchema>;
export type Campaign = z.output<typeof CampaignSchema>;
export type SpendThreshold = z.output<typeof SpendThresholdSchema>;
export type BirthdayRule = z.output<typeof BirthdayRuleSchema>;

/** Member birthday `MM-DD`; 02-29 is allowed (celebrated on 02-28 in common years). */
export const BirthdaySchema = z
  .string()
  .regex(/^\d{2}-\d{2}$/, 'expected MM-DD')
  .refine(
    (s) => {
      const month = Number(s.slice(0, 2));
      const day = Number(s.slice(3, 5));
      const maxDay = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
      return maxDay !== undefined && day >= 1 && day <= maxDay;
    },
    { message: 'not a calendar day' },
  );

export const EarningLineSchema = z
  .strictObject({
    sku: CodeSchema,
    /** Product name as printed on the receipt; used in member-readable trace texts. */
    name: z.string().min(1).max(60),
    category: CodeSchema.optional(),
    qty: z.int().min(1),
    unitPriceFen: NonNegativeIntSchema,
    /** Line-level discount in fen (at most qty × unitPriceFen). */
    discountFen: NonNegativeIntSchema.default(0),
  })
  .refine((l) => BigInt(l.discountFen) <= BigInt(l.qty) * BigInt(l.unitPriceFen), {
    message: 'discountFen exceeds the line amount',
    path: ['discountFen'],
  });

export const EarningMemberSchema = z.strictObject({
  tierCode: CodeSchema.optional(),
  /** Display name of the tier, e.g. "黄金"; the trace falls back to the code. */
  tierName: z.string().min(1).max(20).optional(),
  birthday: BirthdaySchema.optional(),
  isFirstPurchase: z.boolean(),
  /** Purchase points already credited today (China local day), for the per-day cap. */
  pointsAlreadyEarnedToday: NonNegativeIntSchema,
});

export const EarningInputSchema = z.strictObject({
  lines: z.array(EarningLineSchema).min(1),
  /** Order-level discount in fen, spread over all lines pro rata by net amount. */
  orderDiscountFen: NonNegativeIntSchema.default(0),
  /** WeChat coupon value in fen: never earns; spread like orderDiscountFen. */
  couponFen: NonNegativeIntSchema.default(0),
  /** Part of the order paid with points, in fen: never earns. */
  pointsPaidFen: NonNegativeIntSchema,
  member: EarningMemberSchema,
  brandCode: CodeSchema,
  storeCode: CodeSchema,
  placedAt: IsoInstantSchema,
});

/** What callers pass (defaults optional). */
export type EarningInput = z.input<typeof EarningInputSchema>;
/** The input after validation, defaults filled in. */
export type ParsedEarningInput = z.output<typeof EarningInputSchema>;
export type EarningLine = z.output<typeof EarningLineSchema>;

/**
 * Parses `value` with `schema`, turning a zod failure into the project's typed validation error so the
 * server answers 400 with the offending field.
 * @throws JifenError VALIDATION_FAILED with `field` set to the first issue's path.
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue ? issue.path.map(String).join('.') : '';
  throw new JifenError('VALIDATION_FAILED', `${what}${field ? `.${field}` : ''}: ${issue?.message ?? 'invalid'}`, field || undefined);
}

/** Stable codes of the rules that can appear in an earning trace. */
export const TRACE_RULES = [
  'excluded',
  'order_discount',
  'coupon',
  'points_paid',
  'base',
  'category_multiplier',
  'sku_multiplier',
  'category_bonus',
  'sku_bonus',
  'campaign',
  'tier',
  'birthday',
  'threshold',
  'first_purchase',
  'cap_order',
  'cap_day',
] as const;
export type TraceRule = (typeof TRACE_RULES)[number];

/** One step of an earning computation, for the member's points history and for support staff. */
export const TraceEntrySchema = z.strictObject({
  rule: z.enum(TRACE_RULES),
  /** Signed change in points this step made; the deltas of a trace sum to the order's points. */
  points: z.int(),
  /** Chinese a member can read, e.g. "黄金会员1.5倍 +64". */
  text: z.string(),
});
export type TraceEntry = z.output<typeof TraceEntrySchema>;
