import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff } from '../../../commands/staff.js';
import { startTestServer } from '../../../test-support/server.js';
import type { TestServer } from '../../../test-support/server.js';
import { makeProgram } from '../../../test-support/fixtures.js';

let s: TestServer;
let token: string;

beforeAll(async () => {
  s = await startTestServer();
  await makeProgram(s.testDb.db, { code: 'JIFEN' });
  token = await s.signIn();
});
afterAll(async () => s.close());

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

async function auditRows(action: string) {
  return s.testDb.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', action).execute();
}

async function newMember(phone: string): Promise<number> {
  const res = await s.request('POST', '/api/admin/members', { phone, name: '测试会员' }, token);
  expect(res.status).toBe(201);
  return (res.body as { id: number }).id;
}

describe('GET /healthz', () => {
  it('200 with the database dialect', async () => {
    const res = await s.request('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, db: s.testDb.db.dialect });
  });
});

describe('POST /api/admin/session', () => {
  it('200 with a token for the bootstrap admin', async () => {
    const res = await s.request('POST', '/api/admin/session', { username: 'hq-admin', password: 'correct horse battery staple' });
    expect(res.status).toBe(200);
    expect((res.body as { token: string }).token).toMatch(/^[\w-]{40,}$/);
  });

  it('401 INVALID_CREDENTIALS on a wrong password', async () => {
    const res = await s.request('POST', '/api/admin/session', { username: 'hq-admin', password: 'nope' });
    expect(res.status).toBe(401);
    expect((res.body as ErrorBody).error.code).toBe('INVALID_CREDENTIALS');
  });

  it('locks an account after five failures, even for the right password', async () => {
    await createStaff(s.testDb.db, { username: 'locky', password: 'the-right-password', role: 'support' }, Date.now());
    for (let i = 0; i < 5; i++)
      expect((await s.request('POST', '/api/admin/session', { username: 'locky', password: 'wrong' })).status).toBe(401);
    expect((await s.request('POST', '/api/admin/session', { username: 'locky', password: 'the-right-password' })).status).toBe(401);
  });

  it('400 VALIDATION_FAILED naming the field when the body is incomplete', async () => {
    const res = await s.request('POST', '/api/admin/session', { username: 'hq-admin' });
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'password' });
  });

  it('400 on a body that is not JSON', async () => {
    const res = await s.request('POST', '/api/admin/session', '{not json');
    expect(res.status).toBe(400);
  });
});

describe('POST /api/admin/members', () => {
  it('401 without a session', async () => {
    const res = await s.request('POST', '/api/admin/members', { phone: '13812345678' });
    expect(res.status).toBe(401);
    expect((res.body as ErrorBody).error.code).toBe('UNAUTHENTICATED');
  });

  it('403 for a role without members.write', async () => {
    await createStaff(s.testDb.db, { username: 'mkt', password: 'marketing-pass-1', role: 'marketing' }, Date.now());
    const mkt = await s.signIn('mkt', 'marketing-pass-1');
    const res = await s.request('POST', '/api/admin/members', { phone: '13812345670' }, mkt);
    expect(res.status).toBe(403);
    expect((res.body as ErrorBody).error.code).toBe('FORBIDDEN');
  });

  it('201 with an id; the phone is stored encrypted, never in clear', async () => {
    const id = await newMember('138 1234 5678');
    const row = await s.testDb.db.kysely.selectFrom('member').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.phone_enc).not.toContain('13812345678');
    expect(row.phone_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('409 MEMBER_EXISTS when the phone is taken (in any spelling)', async () => {
    await newMember('13912345678');
    const res = await s.request('POST', '/api/admin/members', { phone: '+86 139-1234-5678' }, token);
    expect(res.status).toBe(409);
    expect((res.body as ErrorBody).error.code).toBe('MEMBER_EXISTS');
  });

  it('400 naming the phone field for a malformed number, and writes nothing', async () => {
    const before = await s.testDb.db.kysely.selectFrom('member').select('id').execute();
    const res = await s.request('POST', '/api/admin/members', { phone: '12345' }, token);
    expect(res.status).toBe(400);
    expect((res.body as ErrorBody).error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'phone' });
    expect(await s.testDb.db.kysely.selectFrom('member').select('id').execute()).toHaveLength(before.length);
  });
});

describe('GET /api/admin/members/:id', () => {
  it('shows the member with tier and points; the admin sees the phone, and the read is audited', async () => {
    const id = await newMember('13712345678');
    const res = await s.request('GET', `/api/admin/members/${id}`, undefined, token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id,
      phone: '13712345678',
      tier: { code: 'bronze', name: '青铜' },
      points: { balance: 0, pending: 0 },
    });
    expect((await auditRows('member.pii.read')).some((r) => r.target === `member:${id}`)).toBe(true);
  });

  it('masks the phone for a role that may not read personal data', async () => {
    const id = await newMember('13612345678');
    await createStaff(s.testDb.db, { username: 'auditor1', password: 'auditor-pass-1', role: 'auditor' }, Date.now());
    const auditor = await s.signIn('auditor1', 'auditor-pass-1');
    const res = await s.request('GET', `/api/admin/members/${id}`, undefined, auditor);
    expect(res.status).toBe(200);
    expect((res.body as { phone: string }).phone).toBe('136****5678');
  });

  it('404 MEMBER_NOT_FOUND for an unknown id; 400 for a malformed one', async () => {
    expect((await s.request('GET', '/api/admin/members/12345', undefined, token)).status).toBe(404);
    expect((await s.request('GET', '/api/admin/members/abc', undefined, token)).status).toBe(400);
  });
});

describe('POST /api/admin/members/:id/adjustments', () => {
  it('201 with the entry and balance; audited with who, before and after', async () => {
    const id = await newMember('13512345678');
    const res = await s.request(
      'POST',
      `/api/admin/members/${id}/adjustments`,
      { points: 500, reason: '客诉补偿', idempotencyKey: 'adj-0001-aaaa' },
      token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ balance: 500 });
    const audit = (await auditRows('member.points.adjust')).find((r) => r.target === `member:${id}`);
    expect(audit?.actor).toBe('staff:hq-admin');
    expect(JSON.parse(audit?.before_state ?? '{}')).toMatchObject({ available: 0 });
    expect(JSON.parse(audit?.after_state ?? '{}')).toMatchObject({ available: 500, reason: '客诉补偿' });
  });

  it('the same key again answers exactly as the first time and adds nothing', async () => {
    const id = await newMember('13412345678');
    const body = { points: 300, reason: '活动补发', idempotencyKey: 'adj-0002-bbbb' };
    const first = await s.request('POST', `/api/admin/members/${id}/adjustments`, body, token);
    const again = await s.request('POST', `/api/admin/members/${id}/adjustments`, body, token);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const view = await s.request('GET', `/api/admin/members/${id}`, undefined, token);
    expect((view.body as { points: { balance: number } }).points.balance).toBe(300);
    expect((await auditRows('member.points.adjust')).filter((r) => r.target === `member:${id}`)).toHaveLength(1);
  });

  it('409 IDEMPOTENCY_CONFLICT for the same key with other inputs', async () => {
    const id = await newMember('13312345678');
    await s.request(
      'POST',
      `/api/admin/members/${id}/adjustments`,
      { points: 300, reason: '活动补发', idempotencyKey: 'adj-0003-cccc' },
      token,
    );
    const res = await s.request(
      'POST',
      `/api/admin/members/${id}/adjustments`,
      { points: 301, reason: '活动补发', idempotencyKey: 'adj-0003-cccc' },
      token,
    );
    expect(res.status).toBe(409);
    expect((res.body as ErrorBody).error.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('409 POINTS_INSUFFICIENT for a debit beyond the balance, and writes nothing', async () => {
    const id = await newMember('13212345678');
    await s.request(
      'POST',
      `/api/admin/members/${id}/adjustments`,
      { points: 100, reason: '补发', idempotencyKey: 'adj-0004-dddd' },
      token,
    );
    const res = await s.request(
      'POST',
      `/api/admin/members/${id}/adjustments`,
      { points: -101, reason: '扣回', idempotencyKey: 'adj-0005-eeee' },
      token,
    );
    expect(res.status).toBe(409);
    expect((res.body as ErrorBody).error.code).toBe('POINTS_INSUFFICIENT');
    const ok = await s.request(
      'POST',
      `/api/admin/members/${id}/adjustments`,
      { points: -100, reason: '扣回', idempotencyKey: 'adj-0005-eeee' },
      token,
    );
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ balance: 0 });
  });

  it('400 naming the field when the reason is missing or the points are not an integer', async () => {
    const id = await newMember('13112345678');
    const noReason = await s.request(
      'POST',
      `/api/admin/members/${id}/adjustments`,
      { points: 10, idempotencyKey: 'adj-0006-ffff' },
      token,
    );
    expect(noReason.status).toBe(400);
    expect((noReason.body as ErrorBody).error.field).toBe('reason');
    const fraction = await s.request(
      'POST',
      `/api/admin/members/${id}/adjustments`,
      { points: 1.5, reason: '补发', idempotencyKey: 'adj-0007-gggg' },
      token,
    );
    expect((fraction.body as ErrorBody).error.field).toBe('points');
    const entries = await s.testDb.db.kysely
      .selectFrom('ledger_entry')
      .innerJoin('account', 'account.id', 'ledger_entry.account_id')
      .select('ledger_entry.id')
      .where('account.member_id', '=', id)
      .execute();
    expect(entries).toHaveLength(0);
  });

  it('403 for a role without points.adjust', async () => {
    const id = await newMember('13012345678');
    const auditor = await s.signIn('auditor1', 'auditor-pass-1');
    const res = await s.request(
      'POST',
      `/api/admin/members/${id}/adjustments`,
      { points: 10, reason: '补发', idempotencyKey: 'adj-0008-hhhh' },
      auditor,
    );
    expect(res.status).toBe(403);
  });
});
