import { describe, it, expect } from 'vitest';
import { JifenError } from '../../errors.js';
import { birthdayGift, referralGrants, signupGrant } from './grants.js';
import { RuleSetSchema, type RuleSet } from './schema.js';

const configured = RuleSetSchema.parse({
  grants: {
    signupBonus: 200,
    referral: { referrerPoints: 300, refereePoints: 100 },
    birthdayGift: 500,
  },
});

describe('grants', () => {
  it('signup bonus', () => {
    expect(signupGrant(configured)).toEqual({ points: 200, text: '注册奖励' });
  });

  it('referral gives both sides their own amount and text', () => {
    expect(referralGrants(configured)).toEqual({
      referrer: { points: 300, text: '推荐好友奖励' },
      referee: { points: 100, text: '被推荐注册奖励' },
    });
  });

  it('birthday gift', () => {
    expect(birthdayGift(configured)).toEqual({ points: 500, text: '生日礼' });
  });

  it('a rule set without grants gives 0 for each', () => {
    const plain = RuleSetSchema.parse({});
    expect(signupGrant(plain).points).toBe(0);
    expect(referralGrants(plain).referrer.points).toBe(0);
    expect(referralGrants(plain).referee.points).toBe(0);
    expect(birthdayGift(plain).points).toBe(0);
  });

  it('partial referral settings default the other side to 0', () => {
    const rs = RuleSetSchema.parse({ grants: { referral: { referrerPoints: 50 } } });
    expect(referralGrants(rs)).toMatchObject({ referrer: { points: 50 }, referee: { points: 0 } });
  });

  it('rejects an invalid rule set', () => {
    const bad = { ...configured, grants: { ...configured.grants, signupBonus: -1 } } as RuleSet;
    expect(() => signupGrant(bad)).toThrow(JifenError);
  });
});
