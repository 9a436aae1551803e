import type { MemberPicture, MemberSummary, MergeResult, PendingAdjustmentView, PosOrderView } from '@jifen/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAccount } from '../../../commands/ledger.js';
import { inTransaction } from '../../../db/dialect.js';
import { memberIdByPhone, startHq } from './hq-test-support.js';
import type { ErrorBody, Hq } from './hq-test-support.js';

let hq: Hq;
let li: number; // 李小萌 13800138000, 白银, with history
let wang: number; // 王大力 13900139000
beforeAll(async () => {
  hq = await startHq();
  li = await memberIdByPhone(hq, '13800138000');
  wang = await memberIdByPhone(hq, '13900139000');
});
afterAll(async () => hq.close());

const code = (res: { body: unknown }) => (res.body as ErrorBody).error?.code;
let keys = 0;
const key = () => `hq-adj-${process.pid}-${++keys}`;

async function newMember(phone: string): Promise<number> {
  const res = await hq.call('admin', 'POST', '/api/admin/members', { phone, name: '测试会员' });
  expect(res.status).toBe(201);
  return (res.body as { id: number }).id;
}

async function balance(id: number): Promise<number> {
  return ((await hq.call('admin', 'GET', `/api/admin/members/${id}`)).body as { points: { balance: number } }).points.balance;
}

async function adjust(role: 'support' | 'admin', id: number, points: number, idempotencyKey = key()) {
  return hq.call(role, 'POST', `/api/admin/members/${id}/adjustments`, { points, reason: '客诉补偿', idempotencyKey });
}

async function verifyMember(id: number) {
  const accounts = await hq.s.testDb.db.kysely.selectFrom('account').select('id').where('member_id', '=', id).execute();
  for (const a of accounts) {
    const check = await inTransaction(hq.s.testDb.db, (trx) => verifyAccount(trx, a.id));
    expect(check.problems).toEqual([]);
  }
}

describe('GET /api/admin/members (search)', () => {
  it('finds by phone in any spelling, by id and by openid; personal data masked for support', async () => {
    const byPhone = (await hq.call('support', 'GET', '/api/admin/members?phone=%2B86%20138%200013%208000')).body as {
      members: MemberSummary[];
    };
    expect(byPhone.members).toEqual([
      expect.objectContaining({ id: li, phone: '138****8000', name: '李**', tier: { code: 'silver', name: '白银' } }),
    ]);
    const byId = (await hq.call('auditor', 'GET', `/api/admin/members?id=${wang}`)).body as { members: MemberSummary[] };
    expect(byId.members[0]).toMatchObject({ id: wang, phone: '139****9000', name: '王**' });
    await hq.s.testDb.db.kysely.updateTable('member').set({ openid: 'o-hq-test-openid-0001' }).where('id', '=', wang).execute();
    const byOpenid = (await hq.call('support', 'GET', '/api/admin/members?openid=o-hq-test-openid-0001')).body as {
      members: MemberSummary[];
    };
    expect(byOpenid.members.map((m) => m.id)).toEqual([wang]);
    expect(((await hq.call('support', 'GET', '/api/admin/members?phone=13611112222')).body as { members: unknown[] }).members).toEqual([]);
  });

  it('400 unless exactly one of phone, id, openid; 400 naming a malformed phone', async () => {
    expect((await hq.call('support', 'GET', '/api/admin/members')).status).toBe(400);
    expect((await hq.call('support', 'GET', `/api/admin/members?id=${li}&openid=x`)).status).toBe(400);
    const bad = await hq.call('support', 'GET', '/api/admin/members?phone=12345');
    expect((bad.body as ErrorBody).error.field).toBe('phone');
  });
});

describe('the member’s picture and reveal', () => {
  it('GET /members/:id/picture: masked profile, accounts, ledger, orders, tier history, vouchers, claims', async () => {
    const sale = await hq.cashSale({ phone: '13800138000', amountFen: 5000 });
    expect(sale.status).toBe(201);
    const res = await hq.call('support', 'GET', `/api/admin/members/${li}/picture`);
    expect(res.status).toBe(200);
    const p = res.body as MemberPicture;
    expect(p.member).toMatchObject({ id: li, phone: '138****8000', name: '李**', birthday: '**-**', status: 'active', mergedInto: null });
    expect(p.accounts).toEqual([expect.objectContaining({ programCode: 'JIFEN', tier: { code: 'silver', name: '白银' }, frozen: false })]);
    expect(p.ledger.map((e) => e.kind)).toEqual(expect.arrayContaining(['earn', 'spend', 'grant']));
    expect(p.orders).toEqual([
      expect.objectContaining({ orderId: (sale.body as PosOrderView).orderId, storeCode: 'S001', amountFen: 5000 }),
    ]);
    expect(p.tierHistory.some((t) => t.to === 'silver')).toBe(true);
    expect(Array.isArray(p.vouchers) && Array.isArray(p.claims)).toBe(true);
    const admin = (await hq.call('admin', 'GET', `/api/admin/members/${li}/picture`)).body as MemberPicture;
    expect(admin.member).toMatchObject({ phone: '13800138000', name: '李小萌', birthday: '03-15' });
    expect((await hq.call('support', 'GET', '/api/admin/members/424242/picture')).status).toBe(404);
  });

  it('GET /members/:id keeps its contract: masked for support (no audit), clear for admin (audited)', async () => {
    const before = (await hq.audit('member.pii.read')).length;
    expect(((await hq.call('support', 'GET', `/api/admin/members/${li}`)).body as { phone: string }).phone).toBe('138****8000');
    expect((await hq.audit('member.pii.read')).length).toBe(before);
    expect(((await hq.call('admin', 'GET', `/api/admin/members/${li}`)).body as { phone: string }).phone).toBe('13800138000');
    expect((await hq.audit('member.pii.read')).length).toBe(before + 1);
  });

  it('POST /members/:id/reveal: the full phone for support, with an audit row naming the fields and the reason (never the values)', async () => {
    const noReason = await hq.call('support', 'POST', `/api/admin/members/${li}/reveal`, {});
    expect((noReason.body as ErrorBody).error.field).toBe('reason');
    const res = await hq.call('support', 'POST', `/api/admin/members/${li}/reveal`, { reason: '会员来电核实身份' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: li, phone: '13800138000', name: '李小萌', birthday: '03-15' });
    const row = (await hq.audit('member.pii.reveal')).at(-1)!;
    expect(row).toMatchObject({ actor: 'staff:r-support', target: `member:${li}`, ip: expect.any(String) });
    expect(JSON.parse(row.after_state!)).toEqual({ fields: ['phone', 'name', 'birthday'], reason: '会员来电核实身份' });
    expect(row.after_state).not.toContain('13800138000');
  });
});

describe('adjustments above the approval threshold', () => {
  it('at or below the threshold (5000) posts at once: the contract’s 201', async () => {
    const id = await newMember('13512340001');
    const res = await adjust('support', id, 5000);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ balance: 5000 });
  });

  it('above it: 202 pending, nothing posted; the same key answers the same; other inputs conflict', async () => {
    const id = await newMember('13512340002');
    const k = key();
    const res = await adjust('support', id, 6000, k);
    expect(res.status).toBe(202);
    const pending = res.body as { approvalId: number; status: string };
    expect(pending).toMatchObject({ status: 'pending_approval', points: 6000, memberId: id });
    expect(await balance(id)).toBe(0);
    const again = await adjust('support', id, 6000, k);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(res.body);
    const other = await adjust('support', id, 6001, k);
    expect(other.status).toBe(409);
    expect(code(other)).toBe('IDEMPOTENCY_CONFLICT');
    const list = (await hq.call('finance', 'GET', `/api/admin/adjustments?memberId=${id}`)).body as {
      adjustments: PendingAdjustmentView[];
    };
    expect(list.adjustments).toEqual([
      expect.objectContaining({ approvalId: pending.approvalId, requestedBy: 'staff:r-support', status: 'pending' }),
    ]);
  });

  it('the requester cannot approve it; a second staff member does, and it posts once', async () => {
    const id = await newMember('13512340003');
    const k = key();
    const { approvalId } = (await adjust('support', id, 8000, k)).body as { approvalId: number };
    const self = await hq.call('support', 'POST', `/api/admin/adjustments/${approvalId}/approve`);
    expect(self.status).toBe(403);
    expect(code(self)).toBe('SECOND_APPROVER_REQUIRED');
    const ok = await hq.call('finance', 'POST', `/api/admin/adjustments/${approvalId}/approve`);
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ balance: 8000, approvalId, status: 'approved' });
    const twice = await hq.call('admin', 'POST', `/api/admin/adjustments/${approvalId}/approve`);
    expect((twice.body as { entryId: number }).entryId).toBe((ok.body as { entryId: number }).entryId);
    expect(await balance(id)).toBe(8000);
    // the requester's retry now answers with the posting
    const replay = await adjust('support', id, 8000, k);
    expect(replay.status).toBe(201);
    expect(replay.body).toMatchObject({ entryId: (ok.body as { entryId: number }).entryId, balance: 8000 });
    const audit = (await hq.audit('member.points.adjust.approve')).at(-1)!;
    expect(audit.actor).toBe('staff:r-finance');
    expect(JSON.parse(audit.before_state!)).toMatchObject({ status: 'pending', requestedBy: 'staff:r-support' });
    expect((await hq.audit('member.points.adjust')).filter((a) => a.target === `member:${id}`)).toHaveLength(1);
    await verifyMember(id);
  });

  it('reject: nothing posts; a rejected request cannot be approved', async () => {
    const id = await newMember('13512340004');
    const { approvalId } = (await adjust('support', id, -9000)).body as { approvalId: number };
    const res = await hq.call('admin', 'POST', `/api/admin/adjustments/${approvalId}/reject`, { reason: '金额有误' });
    expect(res.body).toMatchObject({ status: 'rejected', decidedBy: 'staff:hq-admin', decisionReason: '金额有误' });
    expect(code(await hq.call('finance', 'POST', `/api/admin/adjustments/${approvalId}/approve`))).toBe('ADJUSTMENT_NOT_PENDING');
    expect(await balance(id)).toBe(0);
    expect((await hq.call('finance', 'POST', '/api/admin/adjustments/424242/approve')).status).toBe(404);
  });
});

describe('freezing an account (fraud)', () => {
  it('refuses debits and earning with ACCOUNT_FROZEN while frozen; credits by staff and unfreezing work', async () => {
    const id = await newMember('13512340005');
    await adjust('support', id, 1000);
    const frozen = await hq.call('support', 'POST', `/api/admin/members/${id}/freeze`, { reason: '疑似盗刷' });
    expect(frozen.status).toBe(200);
    expect(frozen.body).toMatchObject({ accounts: [expect.objectContaining({ programCode: 'JIFEN', frozen: true })] });
    const debit = await adjust('support', id, -100);
    expect(debit.status).toBe(409);
    expect(code(debit)).toBe('ACCOUNT_FROZEN');
    // paying with points at the till is refused, and the order is closed
    const redeem = await hq.cashSale({ phone: '13512340005', amountFen: 10000, redeemPoints: 100 });
    expect(redeem.status).toBe(409);
    expect(code(redeem)).toBe('ACCOUNT_FROZEN');
    // a sale still settles (the money was taken) but earns nothing, flagged for HQ
    const sale = await hq.cashSale({ phone: '13512340005', amountFen: 10000 });
    expect(sale.status).toBe(201);
    expect(sale.body).toMatchObject({ status: 'paid', pointsEarned: 0, memberId: id });
    const order = await hq.s.testDb.db.kysely
      .selectFrom('pay_order')
      .select('flag')
      .where('id', '=', (sale.body as PosOrderView).orderId)
      .executeTakeFirstOrThrow();
    expect(order.flag).toBe('EARN_REFUSED_FROZEN');
    expect((await adjust('support', id, 50)).status).toBe(201);
    expect(await balance(id)).toBe(1050);
    const picture = (await hq.call('support', 'GET', `/api/admin/members/${id}/picture`)).body as MemberPicture;
    expect(picture.accounts[0]).toMatchObject({ frozen: true, frozenAt: expect.any(String) });
    expect((await hq.call('support', 'POST', `/api/admin/members/${id}/unfreeze`, { reason: '核实无误' })).body).toMatchObject({
      accounts: [expect.objectContaining({ frozen: false })],
    });
    expect((await adjust('support', id, -100)).status).toBe(201);
    const audit = await hq.audit('member.freeze');
    expect(JSON.parse(audit.at(-1)!.after_state!)).toMatchObject({ frozen: true, reason: '疑似盗刷' });
    expect((await hq.audit('member.unfreeze')).at(-1)?.target).toBe(`member:${id}`);
    await verifyMember(id);
  });

  it('404 PROGRAM_NOT_FOUND for a program the member has no account in; 400 without a reason', async () => {
    expect(code(await hq.call('support', 'POST', `/api/admin/members/${wang}/freeze`, { reason: '测试', programCode: 'SPORT' }))).toBe(
      'PROGRAM_NOT_FOUND',
    );
    expect((await hq.call('support', 'POST', `/api/admin/members/${wang}/freeze`, {})).status).toBe(400);
  });
});

describe('merging two members', () => {
  it('moves the available points by linked exchange entries, marks the source merged, and is safe to run again', async () => {
    const source = await newMember('13512340006');
    const target = await newMember('13512340007');
    await adjust('support', source, 700);
    await adjust('support', target, 300);
    const res = await hq.call('support', 'POST', `/api/admin/members/${source}/merge`, { intoMemberId: target, reason: '同一人两个账号' });
    expect(res.status).toBe(200);
    const result = res.body as MergeResult;
    expect(result).toMatchObject({ sourceId: source, targetId: target, pendingLeft: [] });
    expect(result.moved).toEqual([expect.objectContaining({ programCode: 'JIFEN', points: 700 })]);
    expect(await balance(source)).toBe(0);
    expect(await balance(target)).toBe(1000);
    const k = hq.s.testDb.db.kysely;
    const inEntry = await k.selectFrom('ledger_entry').selectAll().where('id', '=', result.moved[0]!.inEntryId!).executeTakeFirstOrThrow();
    expect(inEntry).toMatchObject({ kind: 'exchange_in', ref_entry_id: result.moved[0]!.outEntryId, points: 700 });
    const sourcePicture = (await hq.call('support', 'GET', `/api/admin/members/${source}/picture`)).body as MemberPicture;
    expect(sourcePicture.member).toMatchObject({ status: 'merged', mergedInto: target });
    expect(((await hq.call('support', 'GET', `/api/admin/members/${target}/picture`)).body as MemberPicture).member.mergedFrom).toEqual([
      source,
    ]);
    const again = (await hq.call('support', 'POST', `/api/admin/members/${source}/merge`, { intoMemberId: target, reason: '再次执行' }))
      .body as MergeResult;
    expect(again.moved).toEqual([]);
    expect(await balance(target)).toBe(1000);
    expect((await hq.audit('member.merge')).at(-1)).toMatchObject({ actor: 'staff:r-support', target: `member:${source}` });
    await verifyMember(source);
    await verifyMember(target);
  });

  it('409 MERGE_NOT_ALLOWED into itself, into a merged member, or a merged member elsewhere; 404 for an unknown target', async () => {
    const a = await newMember('13512340008');
    const b = await newMember('13512340009');
    const c = await newMember('13512340010');
    expect(code(await hq.call('support', 'POST', `/api/admin/members/${a}/merge`, { intoMemberId: a, reason: '测试' }))).toBe(
      'MERGE_NOT_ALLOWED',
    );
    expect((await hq.call('support', 'POST', `/api/admin/members/${a}/merge`, { intoMemberId: b, reason: '测试' })).status).toBe(200);
    expect(code(await hq.call('support', 'POST', `/api/admin/members/${c}/merge`, { intoMemberId: a, reason: '测试' }))).toBe(
      'MERGE_NOT_ALLOWED',
    );
    expect(code(await hq.call('support', 'POST', `/api/admin/members/${a}/merge`, { intoMemberId: c, reason: '测试' }))).toBe(
      'MERGE_NOT_ALLOWED',
    );
    expect(code(await hq.call('support', 'POST', `/api/admin/members/${c}/merge`, { intoMemberId: 424242, reason: '测试' }))).toBe(
      'MEMBER_NOT_FOUND',
    );
  });

  it('refuses a frozen account with ACCOUNT_FROZEN and moves nothing', async () => {
    const a = await newMember('13512340011');
    const b = await newMember('13512340012');
    await adjust('support', a, 400);
    await hq.call('support', 'POST', `/api/admin/members/${b}/freeze`, { reason: '风控' });
    const res = await hq.call('support', 'POST', `/api/admin/members/${a}/merge`, { intoMemberId: b, reason: '测试' });
    expect(code(res)).toBe('ACCOUNT_FROZEN');
    expect(await balance(a)).toBe(400);
    const row = await hq.s.testDb.db.kysely.selectFrom('member').select('status').where('id', '=', a).executeTakeFirstOrThrow();
    expect(row.status).toBe('active');
  });

  it('leaves pending purchase points with the source and says so', async () => {
    const source = await newMember('13512340013');
    const target = await newMember('13512340014');
    expect((await hq.cashSale({ phone: '13512340013', amountFen: 20000 })).status).toBe(201);
    const res = (await hq.call('support', 'POST', `/api/admin/members/${source}/merge`, { intoMemberId: target, reason: '合并' }))
      .body as MergeResult;
    expect(res.moved).toEqual([]);
    expect(res.pendingLeft).toEqual([expect.objectContaining({ programCode: 'JIFEN' })]);
    expect(res.pendingLeft[0]!.points).toBeGreaterThan(0);
  });
});
