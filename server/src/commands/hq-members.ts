/**
 * Member service for HQ support: search (phone through the keyed hash, member id, openid), the
 * member's whole picture, revealing personal data (each reveal audited), freezing accounts (fraud)
 * and merging two members. Personal data is masked unless the caller's role reads it in full.
 */
import { JifenError, maskPhone } from '@jifen/shared';
import type { FreezeRequest, MemberPicture, MemberSearchQuery, MemberSummary, MergeRequest, MergeResult } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import type { PersonalDataCipher } from '../lib/crypto.js';
import * as hq from '../repositories/hq-members.repository.js';
import { adjustmentRequestsOfMember } from '../repositories/hq-adjustments.repository.js';
import * as members from '../repositories/member.repository.js';
import type { MemberRow } from '../repositories/member.repository.js';
import { listPrograms } from '../repositories/org.repository.js';
import { transfer } from './ledger.js';
import { findMember, getMember, loadDefaultProgram } from './members.js';
import { lowestTier, programConfig, tierName } from './programs.js';
import type { ProgramConfig } from './programs.js';
import { presentAdjustment } from './hq-adjustments.js';
import { iso, record } from './hq-common.js';
import type { HqActor } from './hq-common.js';

export interface MemberServiceDeps {
  db: Db;
  cipher: PersonalDataCipher;
  now: () => number;
}

/** 李小萌 → 李**: enough to greet, not enough to identify. */
export function maskName(name: string): string {
  const chars = [...name];
  return chars.length <= 1 ? '*' : `${chars[0]}${'*'.repeat(chars.length - 1)}`;
}

function maskOpenid(openid: string): string {
  return openid.length <= 8 ? '****' : `${openid.slice(0, 4)}****${openid.slice(-4)}`;
}

interface Personal {
  phone: string | null;
  name: string | null;
  birthday: string | null;
  openid: string | null;
}

function personal(deps: MemberServiceDeps, m: MemberRow, clear: boolean): Personal {
  const phone = m.phone_enc ? deps.cipher.decrypt(m.phone_enc) : null;
  if (clear) return { phone, name: m.name, birthday: m.birthday, openid: m.openid };
  return {
    phone: phone === null ? null : maskPhone(phone),
    name: m.name === null ? null : maskName(m.name),
    birthday: m.birthday === null ? null : '**-**',
    openid: m.openid === null ? null : maskOpenid(m.openid),
  };
}

async function programsById(deps: MemberServiceDeps): Promise<Map<number, ProgramConfig>> {
  return new Map((await listPrograms(deps.db.kysely)).map((p) => [p.id, programConfig(p)]));
}

/** Exactly one of phone (exact, through the keyed hash), id or openid. */
export async function searchMembers(deps: MemberServiceDeps, q: MemberSearchQuery, clear: boolean): Promise<MemberSummary[]> {
  let found: MemberRow | undefined;
  if (q.id !== undefined) found = await members.findMemberById(deps.db.kysely, q.id);
  else if (q.phone) found = await findMember(deps, { phone: q.phone });
  else if (q.openid) found = await members.findMemberByOpenid(deps.db.kysely, q.openid);
  if (!found) return [];
  const program = await loadDefaultProgram(deps.db);
  const account = await members.findAccount(deps.db.kysely, found.id, program.id);
  const p = personal(deps, found, clear);
  const tier = account?.tier_code ?? lowestTier(program);
  return [
    {
      id: found.id,
      phone: p.phone,
      name: p.name,
      status: found.status,
      tier: { code: tier, name: tierName(program, tier) },
      balance: account?.available ?? 0,
      createdAt: iso(found.created_at),
    },
  ];
}

const RECENT = 50;

/** Everything support needs on one page. Throws MEMBER_NOT_FOUND. */
export async function memberPicture(deps: MemberServiceDeps, memberId: number, clear: boolean): Promise<MemberPicture> {
  const db = deps.db.kysely;
  const m = await getMember(deps.db, memberId);
  const programs = await programsById(deps);
  const accounts = await hq.accountsWithFreeze(db, m.id);
  const accountIds = accounts.map((a) => a.id);
  const programOfAccount = new Map(accounts.map((a) => [a.id, a.program_code]));
  const merge = await hq.findMergeOf(db, m.id);
  const p = personal(deps, m, clear);
  return {
    member: {
      id: m.id,
      ...p,
      status: m.status,
      referralCode: m.referral_code,
      createdAt: iso(m.created_at),
      mergedInto: merge?.target_member_id ?? null,
      mergedFrom: await hq.mergedInto(db, m.id),
    },
    accounts: accounts.map((a) => {
      const program = programs.get(a.program_id);
      return {
        accountId: a.id,
        programCode: a.program_code,
        programName: program?.name ?? a.program_code,
        balance: a.available,
        pending: a.pending,
        held: a.held,
        lifetimeEarned: a.lifetime_earned,
        growth: a.growth,
        tier: { code: a.tier_code, name: program ? tierName(program, a.tier_code) : a.tier_code },
        frozen: a.frozen_at !== null,
        frozenAt: iso(a.frozen_at),
      };
    }),
    ledger: (await hq.recentEntries(db, accountIds, RECENT)).map((e) => ({
      entryId: e.id,
      programCode: programOfAccount.get(e.account_id) ?? '',
      kind: e.kind,
      points: e.points,
      pendingDelta: e.pending_delta,
      balanceAfter: e.available_after,
      reason: e.reason,
      orderRef: e.order_ref,
      actor: e.actor,
      createdAt: iso(e.created_at),
    })),
    orders: (await hq.recentOrders(db, m.id, RECENT)).map((o) => ({
      orderId: o.id,
      outTradeNo: o.out_trade_no,
      status: o.status,
      storeCode: o.store_code,
      amountFen: o.amount_fen,
      pointsEarned: o.points_earned,
      pointsPaid: o.points_paid,
      refundedFen: o.refunded_fen,
      placedAt: iso(o.placed_at),
    })),
    tierHistory: (await hq.tierHistoryOf(db, accountIds, RECENT)).map((t) => ({
      programCode: programOfAccount.get(t.account_id) ?? '',
      from: t.from_code,
      to: t.to_code,
      reason: t.reason,
      at: iso(t.created_at),
    })),
    // Voucher codes are bearer tokens worth points: support sees the voucher, never its code.
    vouchers: (await hq.vouchersOf(db, m.id, RECENT)).map((v) => ({
      id: v.id,
      rewardName: v.reward_name,
      points: v.points,
      status: v.status === 'used' ? 'used' : v.expires_at <= deps.now() ? 'expired' : 'active',
      expiresAt: iso(v.expires_at),
      usedAt: iso(v.used_at),
    })),
    claims: (await hq.claimsOf(db, m.id, RECENT)).map((c) => ({
      kind: c.kind,
      codeRef: c.code_ref,
      points: c.points,
      claimedAt: iso(c.claimed_at),
    })),
    adjustments: (await adjustmentRequestsOfMember(db, m.id, RECENT)).map(presentAdjustment),
  };
}

/** The member's personal data in full, on the record. Throws MEMBER_NOT_FOUND. */
export async function revealMember(
  deps: MemberServiceDeps,
  actor: HqActor,
  memberId: number,
  reason: string,
): Promise<Personal & { id: number }> {
  const m = await getMember(deps.db, memberId);
  const clear = personal(deps, m, true);
  await record(deps.db.kysely, actor, deps.now(), {
    action: 'member.pii.reveal',
    target: `member:${m.id}`,
    // Which fields were shown and why — never the values themselves.
    after: {
      fields: Object.entries(clear)
        .filter(([, v]) => v !== null)
        .map(([k]) => k),
      reason,
    },
  });
  return { id: m.id, ...clear };
}

/**
 * Freezes (or unfreezes) the member's accounts: while frozen, spending, holds, debit adjustments,
 * exchanges and earning are refused with ACCOUNT_FROZEN. Throws MEMBER_NOT_FOUND, PROGRAM_NOT_FOUND.
 */
export async function setMemberFrozen(deps: MemberServiceDeps, actor: HqActor, memberId: number, req: FreezeRequest, frozen: boolean) {
  const now = deps.now();
  const m = await getMember(deps.db, memberId);
  const all = await hq.accountsWithFreeze(deps.db.kysely, m.id);
  const chosen = req.programCode ? all.filter((a) => a.program_code === req.programCode) : all;
  if (req.programCode && chosen.length === 0)
    throw new JifenError('PROGRAM_NOT_FOUND', `member ${m.id} has no account in program ${req.programCode}`, 'programCode');
  const changed = await hq.setFrozen(
    deps.db.kysely,
    chosen.map((a) => a.id),
    frozen ? now : null,
  );
  if (changed > 0) {
    await record(deps.db.kysely, actor, now, {
      action: frozen ? 'member.freeze' : 'member.unfreeze',
      target: `member:${m.id}`,
      before: chosen.map((a) => ({ program: a.program_code, frozen: a.frozen_at !== null })),
      after: { programs: chosen.map((a) => a.program_code), frozen, reason: req.reason },
    });
  }
  const after = await hq.accountsWithFreeze(deps.db.kysely, m.id);
  return {
    memberId: m.id,
    accounts: after.map((a) => ({ programCode: a.program_code, frozen: a.frozen_at !== null, frozenAt: iso(a.frozen_at) })),
  };
}

/**
 * Merges a member into another: in every program, the source's available points move to the
 * target's account (an exchange_out / exchange_in pair, linked, keeping each lot's expiry); the
 * source is marked merged; its WeChat identity moves to the target when the target has none.
 * Pending and held points stay with the source until released: running the merge again moves
 * them. Throws MEMBER_NOT_FOUND, MERGE_NOT_ALLOWED, ACCOUNT_FROZEN, ACCOUNT_IN_DEBT.
 */
export async function mergeMembers(deps: MemberServiceDeps, actor: HqActor, sourceId: number, req: MergeRequest): Promise<MergeResult> {
  const db = deps.db.kysely;
  const now = deps.now();
  if (sourceId === req.intoMemberId) throw new JifenError('MERGE_NOT_ALLOWED', 'a member cannot be merged into itself', 'intoMemberId');
  const source = await getMember(deps.db, sourceId);
  const target = await members.findMemberById(db, req.intoMemberId);
  if (!target) throw new JifenError('MEMBER_NOT_FOUND', `member ${req.intoMemberId} not found`, 'intoMemberId');
  if (target.status !== 'active') throw new JifenError('MERGE_NOT_ALLOWED', `member ${target.id} is ${target.status}`, 'intoMemberId');
  const earlier = await hq.findMergeOf(db, source.id);
  if (earlier && earlier.target_member_id !== target.id)
    throw new JifenError('MERGE_NOT_ALLOWED', `member ${source.id} was merged into member ${earlier.target_member_id}`);
  if (!earlier && source.status !== 'active') throw new JifenError('MERGE_NOT_ALLOWED', `member ${source.id} is ${source.status}`);

  const programs = await programsById(deps);
  const sourceAccounts = await hq.accountsWithFreeze(db, source.id);
  const targetAccounts = await hq.accountsWithFreeze(db, target.id);
  // Checked for every account before anything moves, so a refused merge moves nothing.
  const involved = [
    ...sourceAccounts.map((a) => ({ ...a, memberId: source.id })),
    ...targetAccounts.filter((t) => sourceAccounts.some((s) => s.program_id === t.program_id)).map((a) => ({ ...a, memberId: target.id })),
  ];
  for (const a of involved) {
    if (a.frozen_at !== null) throw new JifenError('ACCOUNT_FROZEN', `the ${a.program_code} account of member ${a.memberId} is frozen`);
  }
  for (const a of sourceAccounts) {
    if (a.available < 0)
      throw new JifenError('ACCOUNT_IN_DEBT', `member ${source.id} owes ${-a.available} ${a.program_code} points: settle that first`);
  }
  const before = {
    source: sourceAccounts.map((a) => ({ program: a.program_code, available: a.available, pending: a.pending, held: a.held })),
    target: targetAccounts.map((a) => ({ program: a.program_code, available: a.available })),
  };
  const moved: MergeResult['moved'] = [];
  for (const a of sourceAccounts) {
    if (a.available <= 0) continue;
    const program = programs.get(a.program_id);
    if (!program) continue;
    const to = await members.ensureAccount(db, target.id, a.program_id, lowestTier(program), now);
    const result = await transfer(
      { db: deps.db, now: deps.now },
      // Keyed by the source account's position in its history: a rerun after new postings moves what is new.
      { source: 'admin-merge', key: `merge:${a.id}:${a.entry_seq}`, fingerprint: { from: a.id, to: to.id } },
      {
        fromAccountId: a.id,
        toAccountId: to.id,
        reason: '会员账户合并',
        actor: `staff:${actor.username}`,
        trace: { merge: { from: source.id, to: target.id } },
      },
    );
    if (result)
      moved.push({
        programCode: a.program_code,
        points: -result.out.points,
        outEntryId: result.out.entryId,
        inEntryId: result.inEntryIds[0] ?? null,
      });
  }
  if (!earlier) {
    await hq.insertMerge(db, {
      source_member_id: source.id,
      target_member_id: target.id,
      reason: req.reason,
      actor: `staff:${actor.username}`,
      created_at: now,
    });
    await hq.markMerged(db, source.id);
    if (source.openid && !target.openid) await hq.moveWechatIdentity(db, source.id, target.id, source.openid, source.unionid);
  }
  const after = await hq.accountsWithFreeze(db, source.id);
  const pendingLeft = after.filter((a) => a.pending + a.held > 0).map((a) => ({ programCode: a.program_code, points: a.pending + a.held }));
  await record(db, actor, now, {
    action: earlier ? 'member.merge.sweep' : 'member.merge',
    target: `member:${source.id}`,
    before,
    after: { into: target.id, moved, pendingLeft, reason: req.reason },
  });
  return { sourceId: source.id, targetId: target.id, moved, pendingLeft };
}
