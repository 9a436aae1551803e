import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PersonalDataCipher } from '../lib/crypto.js';
import { newId } from '../lib/ids.js';
import { blankMember, ensureAccount, insertMember } from '../repositories/member.repository.js';
import { createTestDb } from '../test-support/db.js';
import type { TestDb } from '../test-support/db.js';
import { makeProgram } from '../test-support/fixtures.js';
import { credit } from './ledger.js';
import { eraseInactiveMembers, retentionCutoff } from './retention.js';

const at = (iso: string) => Date.parse(iso);
const AS_OF = at('2026-03-01T04:00:00Z');
const cipher = new PersonalDataCipher('test-data-key-0123456789-0123456789-abcdef');
let t: TestDb;
let programId: number;
const ids: Record<string, number> = {};

async function member(key: string, createdAt: string, phone: string): Promise<number> {
  const id = newId();
  await insertMember(t.db.kysely, {
    ...blankMember(id, `R${key}${id.toString(36).slice(-6)}`.toUpperCase(), at(createdAt)),
    phone_enc: cipher.encrypt(phone),
    phone_hash: cipher.lookupHash(phone),
    name: `会员${key}`,
    birthday: '05-01',
    openid: `openid-${key}-${id}`,
    unionid: `union-${key}`,
  });
  ids[key] = id;
  return id;
}

async function order(memberId: number, placedAt: string, payerOpenid: string | null): Promise<void> {
  const id = newId();
  await t.db.kysely
    .insertInto('pay_order')
    .values({
      id,
      out_trade_no: `RT${id}`,
      client_order_id: null,
      channel: 'pos',
      terminal_id: null,
      store_id: 1,
      brand_id: 1,
      program_id: programId,
      member_id: memberId,
      payment_method: 'cash',
      status: 'paid',
      description: 'x',
      lines: '[]',
      amount_fen: 100,
      points_paid: 0,
      points_paid_fen: 0,
      payable_fen: 100,
      hold_id: null,
      rule_set_id: null,
      code_url: null,
      prepay_id: null,
      transaction_id: null,
      payer_openid: payerOpenid,
      payer_total_fen: 100,
      coupon_fen: 0,
      earn_entry_id: null,
      points_earned: 0,
      refunded_fen: 0,
      flag: null,
      placed_at: at(placedAt),
      expires_at: at(placedAt) + 900_000,
      paid_at: at(placedAt),
      updated_at: at(placedAt),
    })
    .execute();
}

async function entry(memberId: number, kind: 'earn' | 'grant', when: string): Promise<void> {
  const account = await ensureAccount(t.db.kysely, memberId, programId, 'bronze', at(when));
  await credit(
    { db: t.db, now: () => at(when) },
    { source: 'test', key: `retention-${memberId}-${kind}-${when}` },
    { accountId: account.id, points: 10, kind, expiresAt: null, reason: kind },
  );
}

beforeAll(async () => {
  t = await createTestDb();
  programId = await makeProgram(t.db, { code: 'JIFEN' });
  // Cut-off: 36 months before 2026-03-01 12:00 China = 2023-03-01 12:00 China.
  const quiet = await member('quiet', '2022-01-01T00:00:00Z', '13600000001');
  await order(quiet, '2022-06-01T00:00:00Z', `openid-payer-${quiet}`);
  await t.db.kysely
    .insertInto('nps_response')
    .values({
      id: newId(),
      member_id: quiet,
      order_id: null,
      brand_id: 0,
      store_id: 0,
      score: 9,
      comment: '店员王小姐很好',
      answer_key: `${quiet}:day:2022-06-01`,
      created_at: at('2022-06-01T00:00:00Z'),
    })
    .execute();
  await t.db.kysely
    .insertInto('member_import')
    .values({
      external_id: 'OLD-1',
      member_id: quiet,
      phone_hash: cipher.lookupHash('13600000001'),
      program_id: programId,
      opening_balance: 0,
      run_id: 1,
      created_at: 0,
    })
    .execute();
  await t.db.kysely
    .insertInto('member_subscription')
    .values({ member_id: quiet, kind: 'points_arrived', accepted: 1, rejected: 0, updated_at: 0 })
    .execute();
  const bought = await member('bought', '2022-01-01T00:00:00Z', '13600000002');
  await order(bought, '2024-01-01T00:00:00Z', null);
  const earned = await member('earned', '2022-01-01T00:00:00Z', '13600000003');
  await entry(earned, 'earn', '2023-06-01T00:00:00Z');
  // A birthday gift is the job's doing, not the member's: no activity.
  const gifted = await member('gifted', '2022-01-01T00:00:00Z', '13600000004');
  await entry(gifted, 'grant', '2024-05-01T00:00:00Z');
  await member('young', '2025-01-01T00:00:00Z', '13600000005');
  const loggedIn = await member('loggedIn', '2022-01-01T00:00:00Z', '13600000006');
  await t.db.kysely
    .insertInto('member_session')
    .values({
      token_hash: `h${loggedIn}`,
      openid: `openid-loggedIn-${loggedIn}`,
      unionid: null,
      member_id: loggedIn,
      expires_at: at('2026-12-01T00:00:00Z'),
      created_at: at('2026-02-01T00:00:00Z'),
    })
    .execute();
});
afterAll(async () => t.drop());

describe('eraseInactiveMembers', () => {
  it('the cut-off is the same China wall time N calendar months before', () => {
    expect(new Date(retentionCutoff(AS_OF, 36)).toISOString()).toBe('2023-03-01T04:00:00.000Z');
  });

  it('erases the personal data of members with no activity since the cut-off, audited, the ledger kept', async () => {
    const entriesBefore = await t.db.kysely.selectFrom('ledger_entry').select('id').execute();
    const accountsBefore = await t.db.kysely.selectFrom('account').select(['id', 'member_id', 'available']).orderBy('id').execute();
    const s = await eraseInactiveMembers({ db: t.db, now: () => AS_OF }, { asOf: AS_OF, months: 36, actor: 'job:retention' });
    expect(s).toMatchObject({ checked: 5, erased: 2 });
    const rows = await t.db.kysely.selectFrom('member').selectAll().execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const key of ['quiet', 'gifted']) {
      expect(byId.get(ids[key]!)).toMatchObject({
        status: 'erased',
        phone_enc: null,
        phone_hash: null,
        name: null,
        birthday: null,
        openid: null,
        unionid: null,
      });
    }
    for (const key of ['bought', 'earned', 'young', 'loggedIn']) {
      expect(byId.get(ids[key]!)).toMatchObject({ status: 'active', name: `会员${key}` });
    }
    const quiet = ids.quiet!;
    expect(
      (await t.db.kysely.selectFrom('pay_order').select('payer_openid').where('member_id', '=', quiet).executeTakeFirstOrThrow())
        .payer_openid,
    ).toBeNull();
    // The answer stays in the NPS figures; only its free text (which may name people) goes.
    expect(
      await t.db.kysely.selectFrom('nps_response').select(['comment', 'score']).where('member_id', '=', quiet).executeTakeFirstOrThrow(),
    ).toEqual({ comment: null, score: 9 });
    expect(
      (await t.db.kysely.selectFrom('member_import').select('phone_hash').where('member_id', '=', quiet).executeTakeFirstOrThrow())
        .phone_hash,
    ).toBe('');
    expect(await t.db.kysely.selectFrom('member_subscription').selectAll().where('member_id', '=', quiet).execute()).toEqual([]);
    expect(await t.db.kysely.selectFrom('ledger_entry').select('id').execute()).toHaveLength(entriesBefore.length);
    // Balances (and so liability and every aggregate) are untouched: the gifted member keeps 10 points.
    expect(await t.db.kysely.selectFrom('account').select(['id', 'member_id', 'available']).orderBy('id').execute()).toEqual(
      accountsBefore,
    );
    const run = await t.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'member.retention.run').execute();
    expect(run).toHaveLength(1);
    expect(run[0]).toMatchObject({ actor: 'job:retention', target: 'retention' });
    expect(JSON.parse(run[0]!.after_state!)).toEqual({ months: 36, inactiveSince: '2023-03-01T04:00:00.000Z', checked: 5, erased: 2 });
    const audit = await t.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'member.retention.erase').execute();
    expect(audit.map((a) => a.target).sort()).toEqual([`member:${ids.gifted}`, `member:${quiet}`].sort());
    expect(audit[0]).toMatchObject({ actor: 'job:retention' });
    expect(JSON.parse(audit[0]!.after_state!)).toMatchObject({ status: 'erased', inactiveMonths: 36 });
    expect(audit[0]!.after_state).not.toContain('1360000');
  });

  it('a rerun erases nothing more', async () => {
    const s = await eraseInactiveMembers({ db: t.db, now: () => AS_OF }, { asOf: AS_OF, months: 36, actor: 'job:retention' });
    // bought, earned and loggedIn joined before the cut-off; the erased are not looked at again.
    expect(s).toMatchObject({ checked: 3, erased: 0 });
  });

  it('a shorter period reaches members active before it', async () => {
    const s = await eraseInactiveMembers({ db: t.db, now: () => AS_OF }, { asOf: AS_OF, months: 24, actor: 'job:retention' });
    // Since 2024-03-01: "bought" (2024-01-01) and "earned" (2023-06-01) are now due; the session keeps "loggedIn".
    expect(s.erased).toBe(2);
    const active = await t.db.kysely.selectFrom('member').select('id').where('status', '=', 'active').execute();
    expect(active.map((r) => r.id).sort()).toEqual([ids.young!, ids.loggedIn!].sort());
  });
});
