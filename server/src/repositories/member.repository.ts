/** Members and their accounts. */
import type { Kysely, Selectable } from 'kysely';
import type { Trx } from '../db/dialect.js';
import { isDuplicateKeyError } from '../db/dialect.js';
import type { AccountTable, Database, MemberTable } from '../db/schema.js';
import { prepared } from '../db/prepared.js';
import { newId } from '../lib/ids.js';

export type MemberRow = Selectable<MemberTable>;
export type AccountRow = Selectable<AccountTable>;
type Q = Kysely<Database> | Trx;

const memberById = prepared((db, id: number) => db.selectFrom('member').selectAll().where('id', '=', id), 1);
const memberByPhoneHash = prepared((db, phoneHash: string) => db.selectFrom('member').selectAll().where('phone_hash', '=', phoneHash), 1);
const accountOf = prepared(
  (db, memberId: number, programId: number) =>
    db.selectFrom('account').selectAll().where('member_id', '=', memberId).where('program_id', '=', programId),
  2,
);

export async function findMemberById(db: Q, id: number): Promise<MemberRow | undefined> {
  return (await memberById(db, id))[0];
}

export async function findMemberByPhoneHash(db: Q, phoneHash: string): Promise<MemberRow | undefined> {
  return (await memberByPhoneHash(db, phoneHash))[0];
}

export function findMemberByOpenid(db: Q, openid: string): Promise<MemberRow | undefined> {
  return db.selectFrom('member').selectAll().where('openid', '=', openid).executeTakeFirst();
}

export function findMemberByUnionid(db: Q, unionid: string): Promise<MemberRow | undefined> {
  return db.selectFrom('member').selectAll().where('unionid', '=', unionid).orderBy('created_at').limit(1).executeTakeFirst();
}

export function findMemberByReferralCode(db: Q, code: string): Promise<MemberRow | undefined> {
  return db.selectFrom('member').selectAll().where('referral_code', '=', code).executeTakeFirst();
}

/** A member with nothing but an id: for imports without personal data, tests and benchmarks. */
export function blankMember(id: number, referralCode: string, now: number): MemberRow {
  return {
    id,
    openid: null,
    unionid: null,
    phone_enc: null,
    phone_hash: null,
    name: null,
    birthday: null,
    consent_version: null,
    referral_code: referralCode,
    referred_by: null,
    status: 'active',
    created_at: now,
  };
}

export async function insertMember(db: Q, row: MemberRow): Promise<void> {
  await db.insertInto('member').values(row).execute();
}

export function accountsOfMember(db: Q, memberId: number): Promise<AccountRow[]> {
  return db.selectFrom('account').selectAll().where('member_id', '=', memberId).execute();
}

export async function findAccount(db: Q, memberId: number, programId: number): Promise<AccountRow | undefined> {
  return (await accountOf(db, memberId, programId))[0];
}

const accountWithGrowth = prepared(
  (db, memberId: number, programId: number, since: number) =>
    db
      .selectFrom('account as a')
      .selectAll('a')
      .select((eb) =>
        eb
          .selectFrom('ledger_entry as e')
          .select((e) => e.fn.sum<number | string | null>('e.growth_delta').as('g'))
          .whereRef('e.account_id', '=', 'a.id')
          .where('e.created_at', '>=', since)
          .as('window_growth'),
      )
      .where('a.member_id', '=', memberId)
      .where('a.program_id', '=', programId),
  3,
);

/** The member's account in a program and the growth it earned since `since`, in one read. */
export async function findAccountWithGrowth(
  db: Q,
  memberId: number,
  programId: number,
  since: number,
): Promise<{ account: AccountRow; growth: number } | undefined> {
  const [row] = await accountWithGrowth(db, memberId, programId, since);
  if (!row) return undefined;
  const { window_growth: growth, ...account } = row;
  return { account, growth: Number(growth ?? 0) };
}

/**
 * The member's account in a program, created on first use. Two racing creators both end with the
 * one row: the unique (member_id, program_id) key decides, the loser reads the winner's row.
 */
export async function ensureAccount(
  db: Kysely<Database>,
  memberId: number,
  programId: number,
  tierCode: string,
  now: number,
): Promise<AccountRow> {
  const existing = await findAccount(db, memberId, programId);
  if (existing) return existing;
  const row: AccountRow = {
    id: newId(),
    member_id: memberId,
    program_id: programId,
    available: 0,
    pending: 0,
    held: 0,
    lifetime_earned: 0,
    growth: 0,
    tier_code: tierCode,
    tier_since: now,
    tier_warned_at: null,
    entry_seq: 0,
    updated_at: now,
  };
  try {
    await db.insertInto('account').values(row).execute();
    return row;
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
    const again = await findAccount(db, memberId, programId);
    if (!again) throw e;
    return again;
  }
}

/** Points of available lots expiring in [now, until): what a member sees as "expiring soon". */
export async function expiringPoints(db: Q, accountId: number, now: number, until: number): Promise<number> {
  const row = await db
    .selectFrom('lot')
    .select((eb) => eb.fn.sum<number | string | null>('remaining').as('p'))
    .where('account_id', '=', accountId)
    .where('status', '=', 'available')
    .where('expires_at', '>=', now)
    .where('expires_at', '<', until)
    .executeTakeFirst();
  return Number(row?.p ?? 0);
}
