/**
 * Retention of personal data (PIPL art. 19: no longer than the purpose needs): members with no
 * activity for JIFEN_RETENTION_MONTHS months (default 36) have their personal data erased exactly as
 * a member's own erasure does it (erasePersonalDataOf in member-privacy.ts) — phone, name, birthday,
 * WeChat identities, sessions, the payer openid on orders, outbox payloads, subscriptions, the free
 * text of their NPS answers and the phone hash of a legacy import. The ledger and orders stay under
 * the bare member id. Each erasure is one transaction with its audit record, and every run leaves one record
 * of its own (period, members checked and erased); a rerun finds nothing new.
 */
import { addMonthsChina, toIsoUtc } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { inTransaction, lockRowById } from '../db/dialect.js';
import type { JobDefinition } from '../jobs/runner.js';
import { appendAudit } from '../repositories/audit.repository.js';
import { findMemberById } from '../repositories/member.repository.js';
import * as retention from '../repositories/retention.repository.js';
import { erasePersonalDataOf } from './member-privacy.js';

export interface RetentionSummary {
  cutoff: number;
  checked: number;
  erased: number;
}

const PAGE = 500;

/** The instant before which a member's last activity makes them due: `months` before `asOf` (China calendar). */
export function retentionCutoff(asOf: number, months: number): number {
  return Date.parse(addMonthsChina(toIsoUtc(asOf), -months));
}

/**
 * Erases the personal data of every member inactive since `months` before `asOf`.
 * `actor` names who ran it in the audit log ('job:retention', 'cli:<user>').
 */
export async function eraseInactiveMembers(
  deps: { db: Db; now: () => number },
  input: { asOf: number; months: number; actor: string },
  progress?: (checked: number, erased: number) => void,
): Promise<RetentionSummary> {
  const cutoff = retentionCutoff(input.asOf, input.months);
  const summary: RetentionSummary = { cutoff, checked: 0, erased: 0 };
  let after = 0;
  for (;;) {
    const page = await retention.retentionCandidates(deps.db.kysely, cutoff, after, PAGE);
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    summary.checked += page.length;
    for (const id of await retention.inactiveSince(
      deps.db.kysely,
      page.map((m) => m.id),
      cutoff,
    )) {
      if (await eraseForRetention(deps, id, cutoff, input)) summary.erased += 1;
    }
    progress?.(summary.checked, summary.erased);
  }
  // The run itself is on record too (who, which period, how many): an erasure nobody ran is visible.
  await appendAudit(deps.db.kysely, {
    actor: input.actor,
    action: 'member.retention.run',
    target: 'retention',
    after: { months: input.months, inactiveSince: toIsoUtc(cutoff), checked: summary.checked, erased: summary.erased },
    at: deps.now(),
  });
  return summary;
}

async function eraseForRetention(
  deps: { db: Db; now: () => number },
  memberId: number,
  cutoff: number,
  input: { months: number; actor: string },
): Promise<boolean> {
  const now = deps.now();
  return inTransaction(deps.db, async (trx) => {
    await lockRowById(trx, deps.db.dialect, 'member', memberId);
    const member = await findMemberById(trx, memberId);
    // Erased meanwhile, or active again since the page was read: leave it.
    if (!member || member.status === 'erased') return false;
    if ((await retention.inactiveSince(trx, [memberId], cutoff)).length === 0) return false;
    const messages = await erasePersonalDataOf(trx, member, now);
    await appendAudit(trx, {
      actor: input.actor,
      action: 'member.retention.erase',
      target: `member:${memberId}`,
      before: { status: member.status },
      after: { status: 'erased', inactiveMonths: input.months, inactiveSince: toIsoUtc(cutoff), outboxMessagesErased: messages },
      at: now,
    });
    return true;
  });
}

export const RETENTION_JOBS: JobDefinition[] = [
  {
    name: 'retention',
    everyMs: 6 * 60 * 60_000,
    run: async (s, now) => {
      const months = s.config.JIFEN_RETENTION_MONTHS;
      if (months <= 0) return null;
      const r = await eraseInactiveMembers({ db: s.db, now: s.now }, { asOf: now, months, actor: 'job:retention' });
      return r.erased > 0 ? r : null;
    },
  },
];
