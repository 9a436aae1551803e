/**
 * Test helpers for the member API: a shopper who logs in through the WeChat simulator (wx.login code →
 * session) and registers with a phone code, exactly as the mini-program does, plus plain rules so the
 * expected points do not depend on the weekday.
 */
import type { MemberProfile, MemberSessionResponse, RegisterResponse, RuleSetInput } from '@jifen/shared';
import { publishRuleSet } from '../../../commands/earning.js';
import type { PaymentRig } from '../../../test-support/payments.js';

let seq = 0;

export const PLAIN_RULES: RuleSetInput = {
  baseRate: 1,
  growthPerYuan: 1,
  grants: { signupBonus: 200, referral: { referrerPoints: 300, refereePoints: 100 } },
};

/** Publishes a rule set for the default program (JIFEN), in force from a minute ago. Returns its version. */
export async function publishRules(rig: PaymentRig, rules: RuleSetInput = PLAIN_RULES): Promise<{ id: number; version: number }> {
  const program = await rig.s.testDb.db.kysely.selectFrom('program').select('id').where('code', '=', 'JIFEN').executeTakeFirstOrThrow();
  return publishRuleSet(rig.s.testDb.db, {
    programId: program.id,
    rules,
    effectiveFrom: Date.now() - 60_000,
    actor: 'test',
    now: Date.now(),
  });
}

export interface Shopper {
  /** The simulator's user name: every `<user>.<n>` login code logs in as the same WeChat user. */
  user: string;
  openid: string;
  token: string;
  member: MemberProfile | null;
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown; headers: Headers }>;
}

/** wx.login → POST /api/member/session. */
export async function login(rig: PaymentRig, user: string): Promise<Shopper> {
  const code = `${user}.${++seq}`;
  const openid = rig.sim.openidForCode(code);
  const res = await rig.s.request('POST', '/api/member/session', { code });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  const body = res.body as MemberSessionResponse;
  return {
    user,
    openid,
    token: body.token,
    member: body.member,
    call: (method, path, payload) => rig.s.request(method, path, payload, body.token),
  };
}

/** Logs in and registers with `phone` through the getPhoneNumber code. */
export async function signUp(
  rig: PaymentRig,
  user: string,
  phone: string,
  extra: { referralCode?: string; nickname?: string; birthday?: string } = {},
): Promise<Shopper & { member: MemberProfile }> {
  const shopper = await login(rig, user);
  const phoneCode = `phone-${user}-${++seq}`;
  rig.sim.phoneCode(phoneCode, phone);
  const res = await shopper.call('POST', '/api/member/register', { phoneCode, consentVersion: '2026-01', ...extra });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...shopper, member: (res.body as RegisterResponse).member };
}

/** Posts an HQ adjustment so a member has points to spend. */
export async function givePoints(rig: PaymentRig, memberId: number, points: number, programCode?: string): Promise<void> {
  const res = await rig.s.request(
    'POST',
    `/api/admin/members/${memberId}/adjustments`,
    { points, reason: '测试积分', idempotencyKey: `give-${memberId}-${++seq}-${Date.now()}`, ...(programCode ? { programCode } : {}) },
    rig.admin,
  );
  if (res.status !== 201) throw new Error(`adjustment failed: ${res.status} ${JSON.stringify(res.body)}`);
}

export function errorCode(res: { body: unknown }): string | undefined {
  return (res.body as { error?: { code?: string } } | null)?.error?.code;
}

export function errorField(res: { body: unknown }): string | undefined {
  return (res.body as { error?: { field?: string } } | null)?.error?.field;
}

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
