/**
 * Mini-program sessions and sign-up. A session starts from a wx.login code (exchanged once through
 * jscode2session) and carries the WeChat user's openid; it names a member once they have registered.
 *
 * Tokens are random and stored only as their SHA-256 (like HQ sessions), not signed: erasure and a
 * relink must end every session at once, which a self-contained signed token cannot do without a
 * revocation list in the database anyway; the lookup is one primary-key read on any server.
 */
import { JifenError, PhoneSchema, maskPhone } from '@jifen/shared';
import type { MemberProfile, RegisterRequest } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { isDuplicateKeyError } from '../db/dialect.js';
import type { CodeSigner } from '../lib/codes.js';
import { sha256Hex } from '../lib/crypto.js';
import type { PersonalDataCipher } from '../lib/crypto.js';
import { newToken } from '../lib/ids.js';
import { appendAudit } from '../repositories/audit.repository.js';
import * as sessions from '../repositories/member-session.repository.js';
import { findAccount, findMemberById, findMemberByOpenid, findMemberByPhoneHash } from '../repositories/member.repository.js';
import type { MemberRow } from '../repositories/member.repository.js';
import { WxApiError } from '../wechat/types.js';
import type { MiniProgramClient } from '../wechat/types.js';
import { loadDefaultProgram, registerMember } from './members.js';
import { lowestTier, tierName } from './programs.js';

/** A member session lasts a week; the app renews it with wx.login on 401. */
export const MEMBER_SESSION_TTL_MS = 7 * 86_400_000;

/** What the member commands need; built from the server's services per request. */
export interface MemberApiDeps {
  db: Db;
  cipher: PersonalDataCipher;
  codes: CodeSigner;
  mp: MiniProgramClient | null;
  now: () => number;
}

export interface MemberSession {
  tokenHash: string;
  openid: string;
  unionid: string | null;
  expiresAt: number;
  /** The registered, active member behind this WeChat user; null until they register. */
  member: MemberRow | null;
}

function miniProgram(deps: MemberApiDeps): MiniProgramClient {
  if (!deps.mp) throw new JifenError('MINIPROGRAM_NOT_CONFIGURED', 'the WeChat mini-program API is not configured on this server');
  return deps.mp;
}

/** WeChat refusals mapped to what the app can act on; the code itself never reaches a log line. */
function fromWechat(e: unknown, what: 'login' | 'phone'): JifenError {
  if (e instanceof WxApiError) {
    const code = Number(e.code);
    // 40029 invalid or used code, 40163 code already used, 40226 user blocked as high-risk.
    if (what === 'login' && (code === 40029 || code === 40163 || code === 40226))
      return new JifenError('UNAUTHENTICATED', 'the login code is invalid or was already used: call wx.login again', 'code');
    if (what === 'phone' && (code === 40029 || code === 40163))
      return new JifenError(
        'PHONE_CODE_INVALID',
        'the phone number code is invalid or was already used: tap the button again',
        'phoneCode',
      );
    if (code === 45011) return new JifenError('RATE_LIMITED', 'WeChat is limiting requests: try again in a minute');
  }
  return new JifenError('UNAVAILABLE', 'WeChat did not answer: try again');
}

/** Linking lost to a concurrent link of the same openid (its unique key): not linked. */
function lostRace(e: unknown): false {
  if (isDuplicateKeyError(e)) return false;
  throw e;
}

/**
 * wx.login code → a new session. The member is found by openid, else (when WeChat gives a unionid)
 * an active member of the same unionid without an openid here yet is linked to it.
 * Throws UNAUTHENTICATED (code invalid or reused), MINIPROGRAM_NOT_CONFIGURED, RATE_LIMITED, UNAVAILABLE.
 */
export async function startMemberSession(deps: MemberApiDeps, code: string): Promise<{ token: string; session: MemberSession }> {
  const mp = miniProgram(deps);
  let identity: { openid: string; unionid?: string };
  try {
    identity = await mp.code2Session(code);
  } catch (e) {
    throw fromWechat(e, 'login');
  }
  const db = deps.db.kysely;
  const now = deps.now();
  let member = await findMemberByOpenid(db, identity.openid);
  if (!member && identity.unionid) {
    const other = await sessions.findLinkableByUnionid(db, identity.unionid);
    if (other && (await sessions.linkOpenid(db, other.id, { openid: identity.openid, unionid: identity.unionid }).catch(lostRace))) {
      member = await findMemberById(db, other.id);
    }
  }
  const active = member && member.status === 'active' ? member : null;
  const token = newToken();
  const session: MemberSession = {
    tokenHash: sha256Hex(token),
    openid: identity.openid,
    unionid: identity.unionid ?? null,
    expiresAt: now + MEMBER_SESSION_TTL_MS,
    member: active,
  };
  await sessions.deleteExpiredSessions(db, identity.openid, now);
  await sessions.insertSession(db, {
    token_hash: session.tokenHash,
    openid: session.openid,
    unionid: session.unionid,
    member_id: active?.id ?? null,
    expires_at: session.expiresAt,
    created_at: now,
  });
  return { token, session };
}

/**
 * The session behind a bearer token. The member is re-read on every call, so an erased or relinked
 * member is never served from a stale session. Throws UNAUTHENTICATED.
 */
export async function resolveMemberSession(deps: MemberApiDeps, token: string): Promise<MemberSession> {
  const db = deps.db.kysely;
  const row = await sessions.findLiveSession(db, sha256Hex(token), deps.now());
  if (!row) throw new JifenError('UNAUTHENTICATED', 'the session has expired or is unknown: call wx.login again');
  const member = row.member_id ? await findMemberById(db, row.member_id) : await findMemberByOpenid(db, row.openid);
  const live = member && member.status === 'active' && member.openid === row.openid ? member : null;
  return { tokenHash: row.token_hash, openid: row.openid, unionid: row.unionid, expiresAt: row.expires_at, member: live };
}

/** The member as their own app shows them: masked phone, the default program's tier. */
export async function presentProfile(deps: MemberApiDeps, member: MemberRow): Promise<MemberProfile> {
  const program = await loadDefaultProgram(deps.db);
  const account = await findAccount(deps.db.kysely, member.id, program.id);
  const tier = account?.tier_code ?? lowestTier(program);
  return {
    id: member.id,
    nickname: member.name,
    phone: member.phone_enc ? maskPhone(deps.cipher.decrypt(member.phone_enc)) : null,
    birthday: member.birthday,
    referralCode: member.referral_code,
    tier: { code: tier, name: tierName(program, tier) },
  };
}

/**
 * Registers the session's WeChat user with the phone number WeChat vouches for. A phone that belongs
 * to a member without an openid (imported by HQ) is linked to this WeChat user instead: no signup or
 * referral bonus then, they were a member before. Throws MEMBER_EXISTS (already registered, or the
 * phone belongs to another WeChat user), PHONE_CODE_INVALID, VALIDATION_FAILED (not a mainland mobile),
 * REFERRAL_INVALID, MINIPROGRAM_NOT_CONFIGURED, UNAVAILABLE.
 */
export async function registerFromMiniProgram(
  deps: MemberApiDeps,
  session: MemberSession,
  req: RegisterRequest,
  audit: { ip: string | null; requestId: string | null },
): Promise<{ member: MemberRow; linked: boolean }> {
  if (session.member) throw new JifenError('MEMBER_EXISTS', 'this WeChat user is already a member');
  const mp = miniProgram(deps);
  let answer: { purePhoneNumber: string; countryCode: string };
  try {
    answer = await mp.phoneNumber(req.phoneCode);
  } catch (e) {
    throw fromWechat(e, 'phone');
  }
  const parsed = PhoneSchema.safeParse(answer.purePhoneNumber);
  if (answer.countryCode !== '86' || !parsed.success)
    throw new JifenError('VALIDATION_FAILED', 'membership needs a mainland China mobile number', 'phoneCode');
  const phone = parsed.data;
  const db = deps.db.kysely;
  const now = deps.now();
  const existing = await findMemberByPhoneHash(db, deps.cipher.lookupHash(phone));
  let memberId: number;
  let linked = false;
  if (existing) {
    const ok =
      existing.status === 'active' &&
      existing.openid === null &&
      (await sessions
        .linkOpenid(db, existing.id, {
          openid: session.openid,
          unionid: session.unionid,
          consentVersion: req.consentVersion,
          ...(req.nickname ? { name: req.nickname } : {}),
          ...(req.birthday ? { birthday: req.birthday } : {}),
        })
        .catch(lostRace));
    if (!ok) throw new JifenError('MEMBER_EXISTS', 'a member with this phone number already exists');
    memberId = existing.id;
    linked = true;
    await appendAudit(db, {
      actor: `member:${memberId}`,
      action: 'member.link_wechat',
      target: `member:${memberId}`,
      after: { consentVersion: req.consentVersion },
      ip: audit.ip,
      requestId: audit.requestId,
      at: now,
    });
  } else {
    ({ id: memberId } = await registerMember(
      { db: deps.db, cipher: deps.cipher, now: () => now },
      {
        phone,
        openid: session.openid,
        ...(session.unionid ? { unionid: session.unionid } : {}),
        ...(req.nickname ? { name: req.nickname } : {}),
        ...(req.birthday ? { birthday: req.birthday } : {}),
        consentVersion: req.consentVersion,
        ...(req.referralCode ? { referralCode: req.referralCode } : {}),
        grantBonuses: true,
      },
    ));
  }
  await sessions.attachMemberToSessions(db, session.openid, memberId, now);
  const member = await findMemberById(db, memberId);
  if (!member) throw new JifenError('MEMBER_NOT_FOUND', `member ${memberId} not found`);
  return { member, linked };
}
