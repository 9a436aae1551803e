/**
 * Members: registration (HQ import, mini-program signup), lookup by openid / phone, and the
 * member's picture for HQ. Phones are stored encrypted and found through a keyed hash.
 */
import { JifenError, maskPhone, referralGrants, signupGrant } from '@jifen/shared';
import type { MemberView } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { isDuplicateKeyError } from '../db/dialect.js';
import type { PersonalDataCipher } from '../lib/crypto.js';
import { newId, newReferralCode } from '../lib/ids.js';
import * as members from '../repositories/member.repository.js';
import type { MemberRow } from '../repositories/member.repository.js';
import { defaultProgram, listPrograms } from '../repositories/org.repository.js';
import { ruleSetInForce } from '../repositories/rules.repository.js';
import { credit } from './ledger.js';
import { expiryFor, lowestTier, programConfig, ruleSetOf, tierName } from './programs.js';
import type { ProgramConfig } from './programs.js';

export interface MemberDeps {
  db: Db;
  cipher: PersonalDataCipher;
  now?: () => number;
}

export interface RegisterInput {
  phone?: string;
  openid?: string;
  unionid?: string;
  name?: string;
  birthday?: string;
  consentVersion?: string;
  referralCode?: string;
  /** Signup and referral bonuses are for members who sign up, not for imported legacy members. */
  grantBonuses: boolean;
}

export async function loadDefaultProgram(db: Db): Promise<ProgramConfig> {
  const row = await defaultProgram(db.kysely);
  if (!row) throw new JifenError('PROGRAM_NOT_FOUND', 'no loyalty program is configured yet');
  return programConfig(row);
}

/**
 * Creates a member and their account in the default program; grants the signup bonus and the
 * referral bonus for both sides (once per referred member: the grant keys name the new member).
 * Throws MEMBER_EXISTS (phone or openid taken), REFERRAL_INVALID, PROGRAM_NOT_FOUND.
 */
export async function registerMember(deps: MemberDeps, input: RegisterInput): Promise<{ id: number }> {
  const now = (deps.now ?? Date.now)();
  const program = await loadDefaultProgram(deps.db);
  const db = deps.db.kysely;
  const phoneHash = input.phone ? deps.cipher.lookupHash(input.phone) : null;
  if (phoneHash && (await members.findMemberByPhoneHash(db, phoneHash)))
    throw new JifenError('MEMBER_EXISTS', 'a member with this phone number already exists');
  if (input.openid && (await members.findMemberByOpenid(db, input.openid)))
    throw new JifenError('MEMBER_EXISTS', 'this WeChat user is already a member');
  let referrer: MemberRow | undefined;
  if (input.referralCode) {
    referrer = await members.findMemberByReferralCode(db, input.referralCode);
    if (!referrer || referrer.status !== 'active') throw new JifenError('REFERRAL_INVALID', 'unknown referral code', 'referralCode');
  }
  const row: MemberRow = {
    id: newId(),
    openid: input.openid ?? null,
    unionid: input.unionid ?? null,
    phone_enc: input.phone ? deps.cipher.encrypt(input.phone) : null,
    phone_hash: phoneHash,
    name: input.name ?? null,
    birthday: input.birthday ?? null,
    consent_version: input.consentVersion ?? null,
    referral_code: newReferralCode(),
    referred_by: referrer?.id ?? null,
    status: 'active',
    created_at: now,
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await members.insertMember(db, row);
      break;
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      // A racing registration of the same phone/openid, or (rarely) a referral-code collision.
      if (phoneHash && (await members.findMemberByPhoneHash(db, phoneHash)))
        throw new JifenError('MEMBER_EXISTS', 'a member with this phone number already exists');
      if (input.openid && (await members.findMemberByOpenid(db, input.openid)))
        throw new JifenError('MEMBER_EXISTS', 'this WeChat user is already a member');
      if (attempt > 3) throw e;
      row.referral_code = newReferralCode();
    }
  }
  const account = await members.ensureAccount(db, row.id, program.id, lowestTier(program), now);
  if (input.grantBonuses) {
    const rules = ruleSetOf(await ruleSetInForce(db, program.id, null, now)).rules;
    const ledger = { db: deps.db, now: () => now };
    const expiresAt = expiryFor(program, now);
    const signup = signupGrant(rules);
    if (signup.points > 0) {
      await credit(
        ledger,
        { source: 'grant', key: `signup:${row.id}` },
        { accountId: account.id, points: signup.points, kind: 'grant', expiresAt, reason: signup.text },
      );
    }
    if (referrer) {
      const { referrer: forReferrer, referee } = referralGrants(rules);
      const referrerAccount = await members.ensureAccount(db, referrer.id, program.id, lowestTier(program), now);
      if (referee.points > 0) {
        await credit(
          ledger,
          { source: 'grant', key: `referral:referee:${row.id}` },
          { accountId: account.id, points: referee.points, kind: 'grant', expiresAt, reason: referee.text },
        );
      }
      if (forReferrer.points > 0) {
        await credit(
          ledger,
          { source: 'grant', key: `referral:referrer:${row.id}` },
          { accountId: referrerAccount.id, points: forReferrer.points, kind: 'grant', expiresAt, reason: forReferrer.text },
        ).catch((e: unknown) => {
          // A frozen referrer (fraud) earns no referral bonus; the new member still signs up.
          if (!(e instanceof JifenError && e.code === 'ACCOUNT_FROZEN')) throw e;
        });
      }
    }
  }
  return { id: row.id };
}

export async function getMember(db: Db, id: number): Promise<MemberRow> {
  const m = await members.findMemberById(db.kysely, id);
  if (!m) throw new JifenError('MEMBER_NOT_FOUND', `member ${id} not found`);
  return m;
}

/**
 * Finds a member by WeChat openid, then unionid (the same person in another app of the group's
 * Open Platform account), or phone (exact, through the keyed hash). Undefined when none matches.
 */
export async function findMember(
  deps: MemberDeps,
  by: { openid?: string; unionid?: string; phone?: string },
): Promise<MemberRow | undefined> {
  const db = deps.db.kysely;
  if (by.openid) {
    const m = await members.findMemberByOpenid(db, by.openid);
    if (m) return m;
  }
  if (by.unionid) {
    const m = await members.findMemberByUnionid(db, by.unionid);
    if (m) return m;
  }
  if (by.phone) return members.findMemberByPhoneHash(db, deps.cipher.lookupHash(by.phone));
  return undefined;
}

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;

/** The member as HQ sees them; the phone in full only when `revealPhone` (the caller audits that). */
export async function memberView(deps: MemberDeps, member: MemberRow, revealPhone: boolean): Promise<MemberView> {
  const now = (deps.now ?? Date.now)();
  const db = deps.db.kysely;
  const programs = new Map((await listPrograms(db)).map((p) => [p.id, programConfig(p)]));
  const accounts = await members.accountsOfMember(db, member.id);
  const fallback = await loadDefaultProgram(deps.db);
  const main = accounts.find((a) => a.program_id === fallback.id);
  const phone = member.phone_enc ? deps.cipher.decrypt(member.phone_enc) : null;
  const mainTier = main?.tier_code ?? lowestTier(fallback);
  return {
    id: member.id,
    phone: phone === null ? null : revealPhone ? phone : maskPhone(phone),
    name: member.name,
    status: member.status,
    referralCode: member.referral_code,
    tier: { code: mainTier, name: tierName(fallback, mainTier) },
    points: {
      balance: main?.available ?? 0,
      pending: main?.pending ?? 0,
      held: main?.held ?? 0,
      expiringSoon: main ? await members.expiringPoints(db, main.id, now, now + THIRTY_DAYS_MS) : 0,
    },
    growth: main?.growth ?? 0,
    accounts: accounts.map((a) => {
      const p = programs.get(a.program_id);
      return {
        programCode: p?.code ?? String(a.program_id),
        programName: p?.name ?? '',
        balance: a.available,
        pending: a.pending,
        held: a.held,
        lifetimeEarned: a.lifetime_earned,
        tier: { code: a.tier_code, name: p ? tierName(p, a.tier_code) : a.tier_code },
      };
    }),
    createdAt: new Date(member.created_at).toISOString(),
  };
}
