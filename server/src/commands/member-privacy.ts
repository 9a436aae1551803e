/**
 * The member's rights over their data (PIPL arts. 45 and 47): a copy of everything Jifen holds about
 * them, and erasure. Erasure removes the personal data (phone, name, birthday, WeChat identities) and
 * ends every session; the ledger, orders, vouchers and claims stay under the bare member id, a
 * pseudonym, because the group's accounts must still add up. The same phone may register again, as
 * a new member.
 */
import { JifenError, toIsoUtc } from '@jifen/shared';
import type { MemberExport } from '@jifen/shared';
import { inTransaction, lockRowById } from '../db/dialect.js';
import type { Trx } from '../db/dialect.js';
import { appendAudit } from '../repositories/audit.repository.js';
import * as activity from '../repositories/member-activity.repository.js';
import { claimsOfMember } from '../repositories/member-claim.repository.js';
import { ordersOfMember } from '../repositories/member-order.repository.js';
import * as privacy from '../repositories/member-privacy.repository.js';
import { deleteSessionsOf } from '../repositories/member-session.repository.js';
import { forgetImportedPhone } from '../repositories/import.repository.js';
import { eraseNpsComments } from '../repositories/report-nps.repository.js';
import { accountsOfMember, findMemberById } from '../repositories/member.repository.js';
import type { MemberRow } from '../repositories/member.repository.js';
import { listPrograms } from '../repositories/org.repository.js';
import type { HqActor } from './hq-common.js';
import { presentEntry, subscriptionsOf } from './member-account.js';
import { vouchersFor } from './member-rewards.js';
import { presentProfile } from './member-session.js';
import type { MemberApiDeps } from './member-session.js';
import { programConfig, tierName } from './programs.js';

/** Everything about the member, the phone in full: it is their own data, asked for by themselves. */
export async function exportMemberData(deps: MemberApiDeps, member: MemberRow): Promise<MemberExport> {
  const db = deps.db.kysely;
  const programs = new Map((await listPrograms(db)).map((p) => [p.id, programConfig(p)]));
  const accounts = await accountsOfMember(db, member.id);
  const ledger: MemberExport['ledger'] = [];
  for (const a of accounts) {
    const code = programs.get(a.program_id)?.code ?? String(a.program_id);
    for (const e of await activity.allEntries(db, a.id)) ledger.push({ ...presentEntry(e), programCode: code });
  }
  const profile = await presentProfile(deps, member);
  return {
    exportedAt: toIsoUtc(deps.now()),
    profile: {
      ...profile,
      phone: member.phone_enc ? deps.cipher.decrypt(member.phone_enc) : null,
      consentVersion: member.consent_version,
      status: member.status,
      createdAt: toIsoUtc(member.created_at),
    },
    accounts: accounts.map((a) => {
      const p = programs.get(a.program_id);
      return {
        programCode: p?.code ?? String(a.program_id),
        programName: p?.name ?? '',
        balance: a.available,
        pending: a.pending,
        held: a.held,
        growth: a.growth,
        tier: { code: a.tier_code, name: p ? tierName(p, a.tier_code) : a.tier_code },
      };
    }),
    ledger,
    orders: (await ordersOfMember(db, member.id)).map((o) => ({
      orderId: o.id,
      placedAt: toIsoUtc(o.placed_at),
      status: o.status,
      amountFen: o.amount_fen,
      pointsEarned: o.points_earned,
      pointsPaid: o.points_paid,
      storeName: o.store_name,
    })),
    vouchers: await vouchersFor(deps, member),
    claims: (await claimsOfMember(db, member.id)).map((c) => ({ kind: c.kind, points: c.points, claimedAt: toIsoUtc(c.claimed_at) })),
    subscriptions: (await subscriptionsOf(deps, member)).subscriptions,
  };
}

/**
 * A member's request to HQ for a copy of their data: the same export as their own, handed to the
 * staff member answering the request. Audited with the reason (never the data). Throws MEMBER_NOT_FOUND.
 */
export async function exportOnRequest(deps: MemberApiDeps, actor: HqActor, memberId: number, reason: string): Promise<MemberExport> {
  const member = await findMemberById(deps.db.kysely, memberId);
  if (!member) throw new JifenError('MEMBER_NOT_FOUND', `no member ${memberId}`);
  const data = await exportMemberData(deps, member);
  await appendAudit(deps.db.kysely, {
    actor: `staff:${actor.username}`,
    action: 'member.privacy.export',
    target: `member:${memberId}`,
    after: { reason },
    ip: actor.ip,
    requestId: actor.requestId,
    at: deps.now(),
  });
  return data;
}

/**
 * Everything personal about the member, inside the caller's transaction (the member row locked): the
 * profile (phone, name, birthday, WeChat identities), sessions, the payer openid on orders, messages
 * to their openid, subscriptions, the free text of their NPS answers and the phone hash a legacy
 * import kept. Scores, orders and the ledger stay under the bare member id. Returns the outbox
 * messages emptied. Used by the member's own erasure, by HQ on their request, and by retention.
 */
export async function erasePersonalDataOf(trx: Trx, member: MemberRow, now: number): Promise<number> {
  await privacy.erasePersonalData(trx, member.id);
  await deleteSessionsOf(trx, member.id, member.openid);
  await privacy.forgetPayerOpenids(trx, member.id);
  const messages = member.openid ? await privacy.forgetOutboxMessages(trx, member.openid, now) : 0;
  await privacy.deleteSubscriptions(trx, member.id);
  await eraseNpsComments(trx, member.id);
  await forgetImportedPhone(trx, member.id);
  return messages;
}

export interface ErasureBy {
  ip: string | null;
  requestId: string | null;
  /** Who erased: the member themselves unless given ('staff:<name>' for a request made to HQ). */
  actor?: string;
  /** Why, when HQ erases on the member's request (kept in the audit record). */
  reason?: string;
}

/**
 * Erases the member's personal data, in one transaction with the end of their sessions and an audit
 * record (which names only the member id). Idempotent: erasing an erased member changes nothing and
 * answers false. Throws MEMBER_NOT_FOUND for an id that was never a member.
 */
export async function eraseMember(deps: Pick<MemberApiDeps, 'db' | 'now'>, memberId: number, by: ErasureBy): Promise<boolean> {
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    await lockRowById(trx, deps.db.dialect, 'member', memberId);
    const member = await findMemberById(trx, memberId);
    if (!member) throw new JifenError('MEMBER_NOT_FOUND', `no member ${memberId}`);
    if (member.status === 'erased') return false;
    const messages = await erasePersonalDataOf(trx, member, now);
    await appendAudit(trx, {
      actor: by.actor ?? `member:${memberId}`,
      action: 'member.erase',
      target: `member:${memberId}`,
      before: { status: member.status },
      after: { status: 'erased', outboxMessagesErased: messages, ...(by.reason ? { reason: by.reason } : {}) },
      ip: by.ip,
      requestId: by.requestId,
      at: now,
    });
    return true;
  });
}
