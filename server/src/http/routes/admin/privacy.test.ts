/** A member's privacy requests made to HQ: a copy of their data, and erasure, through HTTP for every role. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErasureResponse, MemberExport, PosOrderView } from '@jifen/shared';
import { importMembers } from '../../../commands/import-members.js';
import { recordNps } from '../../../commands/report-nps.js';
import { findMemberById } from '../../../repositories/member.repository.js';
import { ROLE_NAMES, startHq } from './hq-test-support.js';
import type { ErrorBody, Hq, RoleName } from './hq-test-support.js';

const PHONE = '13712340001';
let hq: Hq;
let memberId: number;
let earned: number;

beforeAll(async () => {
  hq = await startHq();
  const created = await hq.call('admin', 'POST', '/api/admin/members', { phone: PHONE, name: '隐私会员' });
  memberId = (created.body as { id: number }).id;
  const sale = await hq.cashSale({ phone: PHONE, amountFen: 5000 });
  expect(sale.status).toBe(201);
  earned = (sale.body as PosOrderView).pointsEarned;
  expect(earned).toBeGreaterThan(0);
  const db = hq.s.testDb.db;
  const member = (await findMemberById(db.kysely, memberId))!;
  await recordNps({ db, now: () => Date.now() }, member, {
    orderId: (sale.body as PosOrderView).orderId,
    score: 9,
    comment: '收银员小张很耐心',
  });
  // The member also came in through the legacy import: its mapping keeps a phone hash.
  async function* file() {
    yield `externalId,phone,openingBalance\nOLD-7,${PHONE},0\n`;
  }
  const imported = await importMembers({ db, cipher: hq.cipher, now: () => Date.now() }, file(), { dryRun: false, actor: 'test' });
  expect(imported).toMatchObject({ linked: 1, bad: 0 });
});
afterAll(async () => hq.close());

const REASON = { reason: '工单 2026-0042：会员来电申请' };

describe('403 outside members.privacy', () => {
  it('only admin and support may export or erase; 401 without a session', async () => {
    const allowed: RoleName[] = ['admin', 'support'];
    for (const role of ROLE_NAMES.filter((r) => !allowed.includes(r))) {
      for (const path of [`/api/admin/members/${memberId}/export`, `/api/admin/members/${memberId}/erase`]) {
        const res = await hq.call(role, 'POST', path, REASON);
        expect([role, path, res.status, (res.body as ErrorBody).error.code]).toEqual([role, path, 403, 'FORBIDDEN']);
      }
    }
    expect((await hq.call(null, 'POST', `/api/admin/members/${memberId}/export`, REASON)).status).toBe(401);
    expect((await hq.call(null, 'POST', `/api/admin/members/${memberId}/erase`, REASON)).status).toBe(401);
    expect(await hq.audit('member.privacy.export')).toEqual([]);
    expect((await findMemberById(hq.s.testDb.db.kysely, memberId))?.status).toBe('active');
  });
});

describe('POST /api/admin/members/:id/export', () => {
  it('400 without a reason; 404 MEMBER_NOT_FOUND for an unknown member', async () => {
    const bad = await hq.call('support', 'POST', `/api/admin/members/${memberId}/export`, {});
    expect([bad.status, (bad.body as ErrorBody).error.field]).toEqual([400, 'reason']);
    const missing = await hq.call('support', 'POST', '/api/admin/members/987654321/export', REASON);
    expect([missing.status, (missing.body as ErrorBody).error.code]).toEqual([404, 'MEMBER_NOT_FOUND']);
  });

  it('200 with the member’s data, the phone in full; audited with the reason, never the data', async () => {
    const res = await hq.call('support', 'POST', `/api/admin/members/${memberId}/export`, REASON);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const data = res.body as MemberExport;
    expect(data.profile).toMatchObject({ phone: PHONE, status: 'active' });
    expect(data.orders).toHaveLength(1);
    expect(data.orders[0]).toMatchObject({ amountFen: 5000, pointsEarned: earned });
    expect(data.ledger.length).toBeGreaterThan(0);
    const audit = await hq.audit('member.privacy.export');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'staff:r-support', target: `member:${memberId}` });
    expect(JSON.parse(audit[0]!.after_state!)).toEqual(REASON);
    expect(JSON.stringify(audit)).not.toContain('1371234');
  });
});

describe('POST /api/admin/members/:id/erase', () => {
  it('erases the personal data, keeps the ledger, the orders and the NPS score; audited; a repeat changes nothing', async () => {
    const k = hq.s.testDb.db.kysely;
    const accountsBefore = await k.selectFrom('account').select(['id', 'available', 'pending']).where('member_id', '=', memberId).execute();
    const entriesBefore = await k
      .selectFrom('ledger_entry')
      .innerJoin('account', 'account.id', 'ledger_entry.account_id')
      .select('ledger_entry.id')
      .where('account.member_id', '=', memberId)
      .execute();
    expect(entriesBefore.length).toBeGreaterThan(0);

    const res = await hq.call('support', 'POST', `/api/admin/members/${memberId}/erase`, REASON);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ memberId, erased: true } satisfies ErasureResponse);

    expect(await k.selectFrom('member').selectAll().where('id', '=', memberId).executeTakeFirstOrThrow()).toMatchObject({
      status: 'erased',
      phone_enc: null,
      phone_hash: null,
      name: null,
      birthday: null,
      openid: null,
    });
    expect(await k.selectFrom('nps_response').select(['score', 'comment']).where('member_id', '=', memberId).execute()).toEqual([
      { score: 9, comment: null },
    ]);
    expect(await k.selectFrom('member_import').select('phone_hash').where('member_id', '=', memberId).execute()).toEqual([
      { phone_hash: '' },
    ]);
    expect(await k.selectFrom('account').select(['id', 'available', 'pending']).where('member_id', '=', memberId).execute()).toEqual(
      accountsBefore,
    );
    expect(await k.selectFrom('pay_order').select('id').where('member_id', '=', memberId).execute()).toHaveLength(1);
    expect(((await hq.call('support', 'GET', `/api/admin/members?phone=${PHONE}`)).body as { members: unknown[] }).members).toEqual([]);

    const audit = await hq.audit('member.erase');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'staff:r-support', target: `member:${memberId}` });
    expect(JSON.parse(audit[0]!.after_state!)).toMatchObject({ status: 'erased', reason: REASON.reason });

    const again = await hq.call('admin', 'POST', `/api/admin/members/${memberId}/erase`, REASON);
    expect([again.status, again.body]).toEqual([200, { memberId, erased: false }]);
    expect(await hq.audit('member.erase')).toHaveLength(1);
    // A copy now holds nothing personal.
    const copy = (await hq.call('admin', 'POST', `/api/admin/members/${memberId}/export`, REASON)).body as MemberExport;
    expect(copy.profile).toMatchObject({ phone: null, status: 'erased' });
  });

  it('404 MEMBER_NOT_FOUND for an unknown member', async () => {
    const res = await hq.call('admin', 'POST', '/api/admin/members/987654321/erase', REASON);
    expect([res.status, (res.body as ErrorBody).error.code]).toEqual([404, 'MEMBER_NOT_FOUND']);
  });
});
