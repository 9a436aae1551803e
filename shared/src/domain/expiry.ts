/**
 * When earned points expire. Expiry is computed per earning lot from the instant it was earned, always
 * at the end of a China local day: members read "有效期至2026-12-31", and points must not vanish at
 * 08:00 local because a UTC midnight was used.
 */
import { z } from 'zod';
import { parseOrThrow } from './rules/schema.js';
import { IsoInstantSchema, addMonthsChina, chinaDayEnd, chinaInstant, chinaLocalParts, parseInstant } from './time.js';

export const ExpiryPolicySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('never') }),
  /** Same local day-of-month N months later, at the end of that day (clamped to the month's end). */
  z.strictObject({ kind: z.literal('months_after_earning'), months: z.int().min(1).max(120) }),
  /** 23:59:59.999 local on 31 December of the year after the (local) year earned. */
  z.strictObject({ kind: z.literal('end_of_next_year') }),
]);

export type ExpiryPolicy = z.output<typeof ExpiryPolicySchema>;

/**
 * The last instant at which points earned at `earnedAt` are still valid, as a UTC ISO string with
 * milliseconds, or null if they never expire. Examples: earned 2025-03-10 under end_of_next_year →
 * "2026-12-31T15:59:59.999Z" (= 23:59:59.999+08:00); earned 2025-01-31 local + 1 month → end of
 * 2025-02-28 local.
 * @throws JifenError VALIDATION_FAILED if the policy or `earnedAt` is invalid.
 */
export function expiresAt(policy: ExpiryPolicy, earnedAt: string): string | null {
  const p = parseOrThrow(ExpiryPolicySchema, policy, 'policy');
  const earned = parseOrThrow(IsoInstantSchema, earnedAt, 'earnedAt');
  switch (p.kind) {
    case 'never':
      return null;
    case 'months_after_earning':
      return chinaDayEnd(addMonthsChina(earned, p.months));
    case 'end_of_next_year':
      return chinaInstant(chinaLocalParts(earned).year + 1, 12, 31, 23, 59, 59, 999);
  }
}

/**
 * Whether points earned at `earnedAt` have expired at `asOf` (valid up to and including `expiresAt`).
 * @throws JifenError VALIDATION_FAILED if the policy or an instant is invalid.
 */
export function isExpired(policy: ExpiryPolicy, earnedAt: string, asOf: string): boolean {
  const end = expiresAt(policy, earnedAt);
  return end !== null && parseInstant(asOf) > parseInstant(end);
}
