/**
 * The member API through real HTTP, against the WeChat simulator: sessions from wx.login codes,
 * registration with the phone code, the member card, code and history, subscriptions, and the
 * member's rights over their data (export, erasure).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryPage, MemberCodeResponse, MemberExport, MemberMe, MemberSessionResponse, RegisterResponse } from '@jifen/shared';
import { credit, verifyAccount } from '../../../commands/ledger.js';
import { inTransaction } from '../../../db/dialect.js';
import { startPaymentRig } from '../../../test-support/payments.js';
import type { PaymentRig } from '../../../test-support/payments.js';
import { errorCode, errorField, givePoints, login, publishRules, signUp } from './test-helpers.js';

let rig: PaymentRig;
const db = () => rig.s.testDb.db;

beforeAll(async () => {
  rig = await startPaymentRig();
  await publishRules(rig);
});
afterAll(async () => rig.close());

async function count(table: 'member' | 'member_session' | 'ledger_entry' | 'audit_log') {
  const row = await db()
    .kysely.selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function mainAccount(memberId: number) {
  return db()
    .kysely.selectFrom('account')
    .innerJoin('program', 'program.id', 'account.program_id')
    .selectAll('account')
    .where('account.member_id', '=', memberId)
    .where('program.code', '=', 'JIFEN')
    .executeTakeFirstOrThrow();
}

describe('sessions', () => {
  it('a wx.login code opens a session once; the same code again is 401 UNAUTHENTICATED (WeChat 40029)', async () => {
    const first = await rig.s.request('POST', '/api/member/session', { code: 'session-user.1' });
    expect(first.status).toBe(200);
    const body = first.body as MemberSessionResponse;
    expect(body.token).toMatch(/^[\w-]{40,}$/);
    expect(body.member).toBeNull();
    const days = (Date.parse(body.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
    const again = await rig.s.request('POST', '/api/member/session', { code: 'session-user.1' });
    expect(again.status).toBe(401);
    expect(errorCode(again)).toBe('UNAUTHENTICATED');
  });

  it('no token, an unknown token or an expired session is 401; a session without registration is 403 MEMBER_NOT_REGISTERED', async () => {
    expect(errorCode(await rig.s.request('GET', '/api/member/me'))).toBe('UNAUTHENTICATED');
    const unknown = await rig.s.request('GET', '/api/member/me', undefined, 'x'.repeat(43));
    expect(unknown.status).toBe(401);
    const shopper = await login(rig, 'not-yet');
    const me = await shopper.call('GET', '/api/member/me');
    expect(me.status).toBe(403);
    expect(errorCode(me)).toBe('MEMBER_NOT_REGISTERED');
    await db()
      .kysely.updateTable('member_session')
      .set({ expires_at: Date.now() - 1 })
      .where('openid', '=', shopper.openid)
      .execute();
    const expired = await shopper.call('GET', '/api/member/me');
    expect(expired.status).toBe(401);
    expect(errorCode(expired)).toBe('UNAUTHENTICATED');
  });

  it('a WeChat user whose unionid belongs to a member without an openid here is that member', async () => {
    const imported = await rig.s.request('POST', '/api/admin/members', { phone: '13600000099' }, rig.admin);
    const id = (imported.body as { id: number }).id;
    const unionid = 'oUnionSameGroupMember000000001';
    await db().kysely.updateTable('member').set({ unionid }).where('id', '=', id).execute();
    const openid = 'oMiniProgramOpenid00000000000001';
    rig.sim.loginCode('union-login-1', { openid, unionid });
    const res = await rig.s.request('POST', '/api/member/session', { code: 'union-login-1' });
    expect(res.status).toBe(200);
    expect((res.body as MemberSessionResponse).member).toMatchObject({ id, phone: '136****0099' });
    const row = await db().kysely.selectFrom('member').select('openid').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.openid).toBe(openid);
  });

  it('a request without a code is 400 naming the field, and opens no session', async () => {
    const before = await count('member_session');
    const res = await rig.s.request('POST', '/api/member/session', {});
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('VALIDATION_FAILED');
    expect(errorField(res)).toBe('code');
    expect(await count('member_session')).toBe(before);
  });
});

describe('registration', () => {
  it('registers with the phone code: signup bonus credited, phone masked, later logins name the member', async () => {
    const alice = await signUp(rig, 'alice', '13600000001', { nickname: '小爱', birthday: '05-20' });
    expect(alice.member).toMatchObject({
      nickname: '小爱',
      phone: '136****0001',
      birthday: '05-20',
      tier: { code: 'bronze', name: '青铜' },
    });
    expect(alice.member.referralCode).toMatch(/^[A-Z2-9]{8}$/);
    const me = (await alice.call('GET', '/api/member/me')).body as MemberMe;
    expect(me.points).toMatchObject({ balance: 200, pending: 0 });
    // The session used to register, and every later login, belong to the member now.
    const later = await login(rig, 'alice');
    expect(later.member?.id).toBe(alice.member.id);
    const row = await db().kysely.selectFrom('member').selectAll().where('id', '=', alice.member.id).executeTakeFirstOrThrow();
    expect(row.openid).toBe(alice.openid);
    expect(row.consent_version).toBe('2026-01');
    expect(row.phone_enc).not.toContain('13600000001');
  });

  it('a referral credits both sides by the rules', async () => {
    const referrer = await signUp(rig, 'referrer', '13600000002');
    const before = (await mainAccount(referrer.member.id)).available;
    const friend = await signUp(rig, 'friend', '13600000003', { referralCode: referrer.member.referralCode.toLowerCase() });
    expect((await mainAccount(friend.member.id)).available).toBe(200 + 100);
    expect((await mainAccount(referrer.member.id)).available).toBe(before + 300);
  });

  it('an unknown referral code is 409 REFERRAL_INVALID and creates no member', async () => {
    const shopper = await login(rig, 'bad-referral');
    rig.sim.phoneCode('p-bad-ref', '13600000004');
    const before = await count('member');
    const res = await shopper.call('POST', '/api/member/register', {
      phoneCode: 'p-bad-ref',
      consentVersion: '2026-01',
      referralCode: 'ZZZZZZZZ',
    });
    expect(res.status).toBe(409);
    expect(errorCode(res)).toBe('REFERRAL_INVALID');
    expect(await count('member')).toBe(before);
  });

  it('registering twice, or with a phone another WeChat user registered, is 409 MEMBER_EXISTS', async () => {
    const carol = await signUp(rig, 'carol', '13600000005');
    rig.sim.phoneCode('p-carol-2', '13600000006');
    const twice = await carol.call('POST', '/api/member/register', { phoneCode: 'p-carol-2', consentVersion: '2026-01' });
    expect(twice.status).toBe(409);
    expect(errorCode(twice)).toBe('MEMBER_EXISTS');
    const other = await login(rig, 'carol-impostor');
    rig.sim.phoneCode('p-carol-3', '13600000005');
    const taken = await other.call('POST', '/api/member/register', { phoneCode: 'p-carol-3', consentVersion: '2026-01' });
    expect(taken.status).toBe(409);
    expect(errorCode(taken)).toBe('MEMBER_EXISTS');
  });

  it('a used or unknown phone code is 400 PHONE_CODE_INVALID', async () => {
    const first = await login(rig, 'phone-first');
    rig.sim.phoneCode('p-once', '13600000007');
    expect((await first.call('POST', '/api/member/register', { phoneCode: 'p-once', consentVersion: '2026-01' })).status).toBe(201);
    const shopper = await login(rig, 'phone-reuse');
    const reused = await shopper.call('POST', '/api/member/register', { phoneCode: 'p-once', consentVersion: '2026-01' });
    expect(reused.status).toBe(400);
    expect(errorCode(reused)).toBe('PHONE_CODE_INVALID');
    const bogus = await shopper.call('POST', '/api/member/register', { phoneCode: 'never-issued', consentVersion: '2026-01' });
    expect(bogus.status).toBe(400);
    expect(errorCode(bogus)).toBe('PHONE_CODE_INVALID');
    expect(errorField(bogus)).toBe('phoneCode');
  });

  it('invalid input is 400 naming the field and writes nothing', async () => {
    const shopper = await login(rig, 'invalid-input');
    rig.sim.phoneCode('p-invalid', '13600000009');
    const before = await count('member');
    const noConsent = await shopper.call('POST', '/api/member/register', { phoneCode: 'p-invalid' });
    expect(noConsent.status).toBe(400);
    expect(errorField(noConsent)).toBe('consentVersion');
    const badBirthday = await shopper.call('POST', '/api/member/register', {
      phoneCode: 'p-invalid',
      consentVersion: '2026-01',
      birthday: '1990-05-20',
    });
    expect(errorField(badBirthday)).toBe('birthday');
    expect(await count('member')).toBe(before);
    // The phone code was never spent: it still registers.
    const ok = await shopper.call('POST', '/api/member/register', { phoneCode: 'p-invalid', consentVersion: '2026-01' });
    expect(ok.status).toBe(201);
  });

  it('a phone HQ imported (no WeChat user yet) is linked to this WeChat user, with no second signup bonus', async () => {
    const imported = await rig.s.request('POST', '/api/admin/members', { phone: '13600000010', name: '导入会员' }, rig.admin);
    expect(imported.status).toBe(201);
    const id = (imported.body as { id: number }).id;
    const before = await count('member');
    const shopper = await login(rig, 'imported');
    rig.sim.phoneCode('p-imported', '13600000010');
    const res = await shopper.call('POST', '/api/member/register', {
      phoneCode: 'p-imported',
      consentVersion: '2026-02',
      nickname: '新昵称',
    });
    expect(res.status).toBe(201);
    const body = res.body as RegisterResponse;
    expect(body).toMatchObject({ linked: true, member: { id, nickname: '导入会员', phone: '136****0010' } });
    expect(await count('member')).toBe(before);
    expect((await mainAccount(id)).available).toBe(0);
    const row = await db().kysely.selectFrom('member').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ openid: shopper.openid, consent_version: '2026-02' });
  });
});

describe('the member card', () => {
  it('me: tier and progress to the next tier, balances, points expiring within 30 days, rolling growth', async () => {
    const dan = await signUp(rig, 'dan', '13600000011');
    const account = await mainAccount(dan.member.id);
    const soon = Date.now() + 10 * 86_400_000;
    await credit(
      { db: db() },
      { source: 'test', key: `soon-${dan.member.id}` },
      { accountId: account.id, points: 77, kind: 'adjust', expiresAt: soon, reason: '即将过期测试' },
    );
    await credit(
      { db: db() },
      { source: 'test', key: `later-${dan.member.id}` },
      { accountId: account.id, points: 33, kind: 'adjust', expiresAt: Date.now() + 90 * 86_400_000, reason: '以后过期' },
    );
    const res = await dan.call('GET', '/api/member/me');
    expect(res.status).toBe(200);
    const me = res.body as MemberMe;
    expect(me).toMatchObject({
      id: dan.member.id,
      phone: '136****0011',
      tier: { code: 'bronze', name: '青铜' },
      points: { balance: 200 + 77 + 33, pending: 0, expiringSoon: 77, expiringSoonDate: new Date(soon).toISOString() },
      growth: 0,
      // Silver needs growth 1000 at 1 growth per yuan: ￥1000.00 of spending.
      progress: { text: '再消费￥1000.00升级白银会员', next: { code: 'silver', name: '白银' }, fenNeeded: 100_000 },
    });
  });

  it('me/code: a signed JFM1 code, never shaped like a payment code, that the kiosk accepts', async () => {
    const erin = await signUp(rig, 'erin', '13600000012');
    const res = await erin.call('GET', '/api/member/me/code');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = res.body as MemberCodeResponse;
    expect(body.code).toMatch(/^JFM1\./);
    expect(body.code).not.toMatch(/^1[0-5]\d{16}$/);
    expect(body.refreshAfterSeconds).toBe(30);
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(30_000);
    const order = await rig.s.request(
      'POST',
      '/api/pos/orders',
      {
        clientOrderId: `code-${Date.now()}`,
        lines: [{ sku: 'SKU1', name: '苹果', qty: 1, unitPriceFen: 1000 }],
        member: { code: body.code },
        payment: { method: 'cash' },
      },
      rig.till,
    );
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ memberId: erin.member.id, status: 'paid', pointsEarned: 10 });
  });

  it('history: newest first, paged by cursor, with reasons, pending flags, release and expiry dates', async () => {
    const fay = await signUp(rig, 'fay', '13600000013');
    const code = ((await fay.call('GET', '/api/member/me/code')).body as MemberCodeResponse).code;
    const sale = await rig.s.request(
      'POST',
      '/api/pos/orders',
      {
        clientOrderId: `hist-${Date.now()}`,
        lines: [{ sku: 'SKU2', name: '橙汁', qty: 1, unitPriceFen: 12800 }],
        member: { code },
        payment: { method: 'cash' },
      },
      rig.till,
    );
    expect(sale.status).toBe(201);
    await givePoints(rig, fay.member.id, 50);
    await givePoints(rig, fay.member.id, -20);

    const seen: HistoryPage['entries'] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await fay.call('GET', `/api/member/me/history?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = res.body as HistoryPage;
      expect(page.entries.length).toBeLessThanOrEqual(2);
      seen.push(...page.entries);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(2);
    expect(seen.map((e) => e.points)).toEqual([-20, 50, 128, 200]);
    expect(new Set(seen.map((e) => e.id)).size).toBe(4);
    const [debit, , earn, signup] = seen;
    expect(debit).toMatchObject({ kind: 'adjust', reason: '测试积分', pending: false, expiresAt: null, releaseAt: null });
    expect(earn).toMatchObject({ kind: 'earn', pending: true });
    expect(earn!.reason).toContain('消费￥128.00');
    expect(Date.parse(earn!.releaseAt!) - Date.now()).toBeGreaterThan(6 * 86_400_000);
    expect(earn!.expiresAt).not.toBeNull();
    expect(signup).toMatchObject({ kind: 'grant', reason: '注册奖励', pending: false });
    expect(signup!.expiresAt).not.toBeNull();
  });

  it('history: a cursor the server never gave is 400 naming the field', async () => {
    const gus = await signUp(rig, 'gus', '13600000014');
    const res = await gus.call('GET', '/api/member/me/history?cursor=not*a*cursor');
    expect(res.status).toBe(400);
    expect(errorField(res)).toBe('cursor');
  });
});

describe('subscriptions', () => {
  it('counts what requestSubscribeMessage answered, per kind', async () => {
    const hal = await signUp(rig, 'hal', '13600000015');
    const payload = {
      results: [
        { kind: 'points_arrived', accepted: true },
        { kind: 'points_expiring', accepted: false },
      ],
    };
    expect((await hal.call('POST', '/api/member/subscriptions', payload)).status).toBe(200);
    const res = await hal.call('POST', '/api/member/subscriptions', { results: [{ kind: 'points_arrived', accepted: true }] });
    expect(res.body).toEqual({
      subscriptions: [
        { kind: 'points_arrived', accepted: 2, rejected: 0 },
        { kind: 'points_expiring', accepted: 0, rejected: 1 },
      ],
    });
    const bad = await hal.call('POST', '/api/member/subscriptions', { results: [{ kind: 'spam', accepted: true }] });
    expect(bad.status).toBe(400);
    expect(errorField(bad)).toBe('results.0.kind');
  });
});

describe('privacy', () => {
  it('export: the member’s own data, the phone in full', async () => {
    const ivy = await signUp(rig, 'ivy', '13600000016', { nickname: 'Ivy', birthday: '02-29' });
    await ivy.call('POST', '/api/member/subscriptions', { results: [{ kind: 'points_arrived', accepted: true }] });
    const res = await ivy.call('GET', '/api/member/me/export');
    expect(res.status).toBe(200);
    const data = res.body as MemberExport;
    expect(data.profile).toMatchObject({
      id: ivy.member.id,
      phone: '13600000016',
      nickname: 'Ivy',
      birthday: '02-29',
      consentVersion: '2026-01',
      status: 'active',
    });
    expect(data.accounts).toEqual([expect.objectContaining({ programCode: 'JIFEN', balance: 200 })]);
    expect(data.ledger).toEqual([expect.objectContaining({ programCode: 'JIFEN', kind: 'grant', points: 200 })]);
    expect(data).toMatchObject({
      orders: [],
      vouchers: [],
      claims: [],
      subscriptions: [{ kind: 'points_arrived', accepted: 1, rejected: 0 }],
    });
  });

  it('erasure: personal data gone, ledger kept under the id, sessions ended, audited; the phone can register again as new', async () => {
    const jo = await signUp(rig, 'jo', '13600000017', { nickname: 'Jo', birthday: '01-01' });
    const code = ((await jo.call('GET', '/api/member/me/code')).body as MemberCodeResponse).code;
    const sale = await rig.s.request(
      'POST',
      '/api/pos/orders',
      {
        clientOrderId: `erase-${Date.now()}`,
        lines: [{ sku: 'S', name: '香蕉', qty: 1, unitPriceFen: 500 }],
        member: { code },
        payment: { method: 'cash' },
      },
      rig.till,
    );
    expect(sale.status).toBe(201);
    const account = await mainAccount(jo.member.id);
    const entriesBefore = await db().kysely.selectFrom('ledger_entry').select('id').where('account_id', '=', account.id).execute();
    const auditsBefore = await count('audit_log');

    const del = await jo.call('DELETE', '/api/member/me');
    expect(del.status).toBe(204);

    const row = await db().kysely.selectFrom('member').selectAll().where('id', '=', jo.member.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      phone_enc: null,
      phone_hash: null,
      name: null,
      birthday: null,
      openid: null,
      unionid: null,
      status: 'erased',
    });
    const entriesAfter = await db().kysely.selectFrom('ledger_entry').select('id').where('account_id', '=', account.id).execute();
    expect(entriesAfter).toEqual(entriesBefore);
    expect(await inTransaction(db(), (trx) => verifyAccount(trx, account.id))).toMatchObject({ problems: [] });
    const order = await db().kysely.selectFrom('pay_order').selectAll().where('member_id', '=', jo.member.id).executeTakeFirstOrThrow();
    expect(order.payer_openid).toBeNull();
    const audit = await db()
      .kysely.selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'member.erase')
      .where('target', '=', `member:${jo.member.id}`)
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0])).not.toContain('13600000017');
    expect(await count('audit_log')).toBe(auditsBefore + 1);

    // Every session of the erased member is gone; logging in again finds no member.
    expect((await jo.call('GET', '/api/member/me')).status).toBe(401);
    const back = await login(rig, 'jo');
    expect(back.member).toBeNull();
    expect(errorCode(await back.call('GET', '/api/member/me'))).toBe('MEMBER_NOT_REGISTERED');
    // The POS can no longer find them by phone.
    const byPhone = await rig.s.request(
      'POST',
      '/api/pos/orders',
      {
        clientOrderId: `erase-2-${Date.now()}`,
        lines: [{ sku: 'S', name: '香蕉', qty: 1, unitPriceFen: 500 }],
        member: { phone: '13600000017' },
        payment: { method: 'cash' },
      },
      rig.till,
    );
    expect(errorCode(byPhone)).toBe('MEMBER_NOT_FOUND');

    rig.sim.phoneCode('p-jo-again', '13600000017');
    const again = await back.call('POST', '/api/member/register', { phoneCode: 'p-jo-again', consentVersion: '2026-03' });
    expect(again.status).toBe(201);
    const fresh = (again.body as RegisterResponse).member;
    expect(fresh.id).not.toBe(jo.member.id);
    expect(fresh.nickname).toBeNull();
    expect(((await back.call('GET', '/api/member/me')).body as MemberMe).points.balance).toBe(200);
  });
});
