import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportReport, ImportRunView } from '@jifen/shared';
import { importMembers } from '../../../commands/import-members.js';
import { createStaff } from '../../../commands/staff.js';
import { makeProgram } from '../../../test-support/fixtures.js';
import { startTestServer } from '../../../test-support/server.js';
import type { TestServer } from '../../../test-support/server.js';

let s: TestServer;
let admin: string;
let existingMember: number;

beforeAll(async () => {
  s = await startTestServer();
  await makeProgram(s.testDb.db, { code: 'JIFEN' });
  await makeProgram(s.testDb.db, { code: 'SPORT', isDefault: false });
  admin = await s.signIn();
  const res = await s.request('POST', '/api/admin/members', { phone: '13700000000', name: '老会员' }, admin);
  existingMember = (res.body as { id: number }).id;
});
afterAll(async () => s.close());

/** Line numbers below are the file's: the header is line 1, the record at line 11 spans two lines. */
const FILE = [
  'externalId,phone,name,birthday,program,openingBalance',
  'L001,13900000001,张三,1990-03-15,,500',
  'L002,13900000002,"李, 四",07-08,SPORT,0',
  'L003,139000000,王五,,,100',
  'L004,13900000004,赵六,02-30,,10',
  'L001,13900000005,,,,5',
  'L005,139 0000 0001,,,,5',
  'L006,13900000006,,,NOPE,5',
  'L007,13900000007,,,,-5',
  ',13900000008,,,,1',
  'L008,13900000009,"多行',
  '名字",,,1',
  'L009,13700000000,,,,300',
  'L010,13900000010,a,b,c,d,e,f,g',
  '',
].join('\r\n');

const BAD = [
  { line: 4, externalId: 'L003', reason: 'phone (9 characters) is not an 11-digit mainland mobile number' },
  { line: 5, externalId: 'L004', reason: 'birthday "02-30" is not a date (MM-DD or YYYY-MM-DD)' },
  { line: 6, externalId: 'L001', reason: 'externalId L001 repeats line 2' },
  { line: 7, externalId: 'L005', reason: 'phone repeats line 2' },
  { line: 8, externalId: 'L006', reason: 'unknown program NOPE' },
  { line: 9, externalId: 'L007', reason: 'openingBalance "-5" is not a whole number of points' },
  { line: 10, externalId: null, reason: 'externalId is required' },
  { line: 14, externalId: 'L010', reason: '9 values, but the header has 6 columns (quote values that contain commas)' },
];

async function upload(body: string | Uint8Array, query: string, token = admin, type = 'text/csv') {
  const res = await fetch(`${s.url}/api/admin/imports${query}`, {
    method: 'POST',
    headers: { 'content-type': type, authorization: `Bearer ${token}` },
    body,
  });
  return { status: res.status, body: (await res.json()) as ImportReport & { error?: { code: string; message: string } } };
}

async function counts() {
  const k = s.testDb.db.kysely;
  const n = async (table: 'member' | 'ledger_entry' | 'member_import') =>
    Number(
      (
        await k
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { members: await n('member'), entries: await n('ledger_entry'), imports: await n('member_import') };
}

async function balanceOf(phone: string, programCode = 'JIFEN') {
  const hash = s.server.services.cipher.lookupHash(phone);
  const row = await s.testDb.db.kysely
    .selectFrom('member')
    .innerJoin('account', 'account.member_id', 'member.id')
    .innerJoin('program', 'program.id', 'account.program_id')
    .select(['member.id', 'member.name', 'member.birthday', 'account.available'])
    .where('member.phone_hash', '=', hash)
    .where('program.code', '=', programCode)
    .executeTakeFirst();
  return row;
}

describe('POST /api/admin/imports', () => {
  it('dry run: 200 with every bad row and its line, what a real run would do, and nothing written', async () => {
    const before = await counts();
    const res = await upload(FILE, '?dryRun=true');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dryRun: true, status: 'done', rows: 12, created: 3, linked: 1, unchanged: 0, points: 801, bad: 8 });
    expect(res.body.errors).toEqual(BAD);
    expect(await counts()).toEqual(before);
  });

  it('is a dry run when dryRun is not given', async () => {
    const before = await counts();
    expect((await upload(FILE, '')).body).toMatchObject({ dryRun: true, created: 3 });
    expect(await counts()).toEqual(before);
  });

  it('real run: creates and links members, credits opening balances as adjustments, audits the run', async () => {
    const before = await counts();
    const res = await upload(FILE, '?dryRun=false');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ dryRun: false, rows: 12, created: 3, linked: 1, unchanged: 0, points: 801, bad: 8 });
    expect(res.body.errors).toEqual(BAD);
    const after = await counts();
    // Three new members; four records mapped; three opening credits (L002 has none).
    expect(after).toEqual({ members: before.members + 3, entries: before.entries + 3, imports: before.imports + 4 });
    expect(await balanceOf('13900000001')).toMatchObject({ name: '张三', birthday: '03-15', available: 500 });
    expect(await balanceOf('13900000009')).toMatchObject({ name: '多行 名字', available: 1 });
    expect(await balanceOf('13700000000')).toMatchObject({ id: existingMember, name: '老会员', available: 300 });
    const sport = await balanceOf('13900000002', 'SPORT');
    expect(sport).toBeUndefined();
    const entry = await s.testDb.db.kysely
      .selectFrom('ledger_entry')
      .selectAll()
      .where('reason', '=', '历史积分迁入')
      .where('points', '=', 500)
      .executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ kind: 'adjust', actor: 'staff:hq-admin' });
    const audit = await s.testDb.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'member.import').execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.after_state!)).toEqual({ rows: 12, created: 3, linked: 1, unchanged: 0, points: 801, bad: 8 });
  });

  it('a second real run changes nothing: every good row is unchanged', async () => {
    const before = await counts();
    const res = await upload(FILE, '?dryRun=false');
    expect(res.body).toMatchObject({ rows: 12, created: 0, linked: 0, unchanged: 4, points: 0, bad: 8 });
    expect(await counts()).toEqual(before);
    expect(await balanceOf('13900000001')).toMatchObject({ available: 500 });
  });

  it('reports a record whose balance or phone differs from what was imported, and changes nothing', async () => {
    const before = await counts();
    const res = await upload(
      ['externalId,phone,openingBalance', 'L001,13900000001,600', 'L009,13900000011,300', 'L011,13700000000,1'].join('\n'),
      '?dryRun=false',
    );
    expect(res.body).toMatchObject({ rows: 3, created: 0, bad: 3 });
    expect(res.body.errors).toEqual([
      { line: 2, externalId: 'L001', reason: 'openingBalance 600 differs from the 500 imported before' },
      { line: 3, externalId: 'L009', reason: 'externalId L009 was imported with another phone' },
      { line: 4, externalId: 'L011', reason: 'this phone was imported as externalId L009' },
    ]);
    expect(await counts()).toEqual(before);
  });

  it('reads GB18030 when told, and refuses it as UTF-8', async () => {
    // "L020,13900000020,王五" with 王五 in GB18030 (CD F5 CE E5).
    const gbk = Uint8Array.from([...Buffer.from('externalId,phone,name\nL020,13900000020,'), 0xcd, 0xf5, 0xce, 0xe5, ...Buffer.from('\n')]);
    const refused = await upload(gbk, '?dryRun=true');
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('VALIDATION_FAILED');
    const read = await upload(gbk, '?dryRun=false', admin, 'text/csv; charset=gb18030');
    expect(read.body).toMatchObject({ created: 1, bad: 0 });
    expect(await balanceOf('13900000020')).toMatchObject({ name: '王五' });
  });

  it('400 for a file without the required columns, or not sent as text/csv', async () => {
    const noId = await upload('phone,name\n13900000030,x\n', '?dryRun=true');
    expect(noId.status).toBe(400);
    expect(noId.body.error?.message).toContain('externalId');
    const json = await s.request('POST', '/api/admin/imports?dryRun=true', { phone: '13900000030' }, admin);
    expect(json.status).toBe(400);
  });

  it('403 FORBIDDEN for every role without import.write; 401 without a session', async () => {
    for (const role of ['marketing', 'finance', 'auditor', 'support', 'store_manager']) {
      await createStaff(s.testDb.db, { username: `imp-${role}`, password: `${role}-password-1`, role }, Date.now());
      const token = await s.signIn(`imp-${role}`, `${role}-password-1`);
      expect([role, (await upload(FILE, '?dryRun=true', token)).status]).toEqual([role, 403]);
      expect([role, (await s.request('GET', '/api/admin/imports', undefined, token)).status]).toEqual([role, 403]);
    }
    expect((await upload(FILE, '?dryRun=true', 'x'.repeat(40))).status).toBe(401);
  });
});

describe('import progress', () => {
  it('records progress while a large file runs, and GET /api/admin/imports shows it', async () => {
    const lines = ['externalId,phone,openingBalance'];
    for (let i = 0; i < 1200; i++) lines.push(`BIG${i},1360${String(i).padStart(7, '0')},1`);
    const seen: ImportRunView[] = [];
    async function* text() {
      yield lines.join('\n');
    }
    const report = await importMembers({ db: s.testDb.db, cipher: s.server.services.cipher, now: () => Date.now() }, text(), {
      dryRun: true,
      actor: 'test',
      onProgress: (run) => seen.push(run),
    });
    expect(report).toMatchObject({ rows: 1200, created: 1200, bad: 0, points: 1200 });
    expect(seen.map((r) => [r.status, r.rows])).toEqual([
      ['running', 500],
      ['running', 1000],
      ['done', 1200],
    ]);
    const list = (await s.request('GET', '/api/admin/imports', undefined, admin)).body as { runs: ImportRunView[] };
    const run = list.runs.find((r) => r.runId === report.runId);
    expect(run).toMatchObject({ status: 'done', dryRun: true, rows: 1200, created: 1200, bad: 0 });
    const one = await s.request('GET', `/api/admin/imports/${report.runId}`, undefined, admin);
    expect(one.body).toMatchObject({ runId: report.runId, rows: 1200 });
    expect((await s.request('GET', '/api/admin/imports/123', undefined, admin)).status).toBe(404);
  });
});
