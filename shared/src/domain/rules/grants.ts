/**
 * Points given for something other than a purchase. These only compute amounts and texts: the server
 * guarantees each grant happens once (unique idempotency key per member and grant), and a zero amount
 * means the program does not offer that grant, so the server should write no ledger entry for it.
 * Grants are not subject to the purchase caps and give no growth value: growth measures spending.
 */
import { points, type Points } from '../money.js';
import { RuleSetSchema, parseOrThrow, type RuleSet } from './schema.js';

export interface Grant {
  points: Points;
  /** Member-readable reason for the points history. */
  text: string;
}

/**
 * Points for joining the program.
 * @throws JifenError VALIDATION_FAILED if the rule set is invalid.
 */
export function signupGrant(ruleSet: RuleSet): Grant {
  const rules = parseOrThrow(RuleSetSchema, ruleSet, 'ruleSet');
  return { points: points(rules.grants.signupBonus), text: '注册奖励' };
}

/**
 * Points for both sides of a referral: the member who referred, and the new member who was referred.
 * @throws JifenError VALIDATION_FAILED if the rule set is invalid.
 */
export function referralGrants(ruleSet: RuleSet): { referrer: Grant; referee: Grant } {
  const rules = parseOrThrow(RuleSetSchema, ruleSet, 'ruleSet');
  return {
    referrer: { points: points(rules.grants.referral.referrerPoints), text: '推荐好友奖励' },
    referee: { points: points(rules.grants.referral.refereePoints), text: '被推荐注册奖励' },
  };
}

/**
 * The yearly birthday gift (separate from the birthday earning multiplier).
 * @throws JifenError VALIDATION_FAILED if the rule set is invalid.
 */
export function birthdayGift(ruleSet: RuleSet): Grant {
  const rules = parseOrThrow(RuleSetSchema, ruleSet, 'ruleSet');
  return { points: points(rules.grants.birthdayGift), text: '生日礼' };
}
