/**
 * The member's rights over their data (PIPL arts. 45 and 47): a copy of everything Jifen holds about
 * them, and erasure. Erasure removes the personal data (phone, name, birthday, WeChat identities) and
 * ends every session; the ledger, orders, vouchers and claims stay under the bare member id, a
 * pseudonym, because the group's accounts must still add up. The same phone may register again, as
 * a new member.
 */
import { toIsoUtc } from '@jifen/shared';
import type { MemberExport } from '@jifen/shared';
import { inTransaction, lockRowById } from '../db/dialect.js';
import { appendAudit } from '../repositories/audit.repository.js';
import * as activity from '../repositories/member-activity.repository.js';
import { claimsOfMember } from '../repositories/member-claim.repository.js';
import { ordersOfMember } from '../repositories/member-order.repository.js';
import * as privacy from '../repositories/member-privacy.repository.js';
import { deleteSessionsOf } from '../repositories/member-session.repository.js';
import { accountsOfMember, findMemberById } from '../repositories/member.repository.js';
import type { MemberRow } from '../repositories/member.repository.js';
import { listPrograms } from '../repositories/org.repository.js';
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
 * Erases the member's personal data, in one transaction with the end of their sessions and an audit
 * record (which names only the member id). Idempotent: erasing an erased member changes nothing.
 */
export async function eraseMember(
  deps: MemberApiDeps,
  memberId: number,
  audit: { ip: string | null; requestId: string | null },
): Promise<void> {
  const now = deps.now();
  await inTransaction(deps.db, async (trx) => {
    await lockRowById(trx, deps.db.dialect, 'member', memberId);
    const member = await findMemberById(trx, memberId);
    if (!member || member.status === 'erased') return;
    await privacy.erasePersonalData(trx, memberId);
    await deleteSessionsOf(trx, memberId, member.openid);
    await privacy.forgetPayerOpenids(trx, memberId);
    const messages = member.openid ? await privacy.forgetOutboxMessages(trx, member.openid, now) : 0;
    await privacy.deleteSubscriptions(trx, memberId);
    await appendAudit(trx, {
      actor: `member:${memberId}`,
      action: 'member.erase',
      target: `member:${memberId}`,
      before: { status: member.status },
      after: { status: 'erased', outboxMessagesErased: messages },
      ip: audit.ip,
      requestId: audit.requestId,
      at: now,
    });
  });
}
