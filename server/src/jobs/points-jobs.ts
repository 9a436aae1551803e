/**
 * The points jobs: release pending points, expire lots, the monthly tier review and birthday
 * gifts. Each item is an idempotent ledger posting keyed by the lot / member / period, so a rerun
 * (or a second process) never posts twice; the lease only saves the duplicate work.
 */
import { JifenError, birthdayGift, chinaDate, chinaLocalParts, toIsoUtc } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { inTransaction, lockAccounts } from '../db/dialect.js';
import { credit, expireLot, releaseLot } from '../commands/ledger.js';
import { expiryFor, lowestTier, programConfig, ruleSetOf } from '../commands/programs.js';
import { reviewAccountTier } from '../commands/tiers.js';
import { saveAccountBalances } from '../repositories/ledger.repository.js';
import { ensureAccount } from '../repositories/member.repository.js';
import { defaultProgram } from '../repositories/org.repository.js';
import { ruleSetInForce } from '../repositories/rules.repository.js';

export interface JobProgress {
  (done: number, note?: string): void;
}

export interface JobSummary {
  items: number;
  points: number;
}

const BATCH = 500;

/** Releases pending lots whose return window has passed by `asOf`. */
export async function releaseDuePoints(db: Db, asOf: number, progress?: JobProgress): Promise<JobSummary> {
  const summary = { items: 0, points: 0 };
  for (;;) {
    const due = await db.kysely
      .selectFrom('lot')
      .select('id')
      .where('status', '=', 'pending')
      .where('release_at', '<=', asOf)
      .orderBy('release_at')
      .limit(BATCH)
      .execute();
    if (due.length === 0) return summary;
    for (const { id } of due) {
      const r = await releaseLot({ db, now: () => asOf }, { lotId: id, asOf });
      if (r) {
        summary.items += 1;
        summary.points += r.points;
      }
    }
    progress?.(summary.items);
    // A batch whose lots were all released by someone else already: they no longer match, so the loop ends.
  }
}

/** Expires what is left of every lot whose expiry is at or before `asOf`. */
export async function expireDuePoints(db: Db, asOf: number, progress?: JobProgress): Promise<JobSummary> {
  const summary = { items: 0, points: 0 };
  let after = -1;
  for (;;) {
    const due = await db.kysely
      .selectFrom('lot')
      .select(['id', 'expires_at'])
      .where('expires_at', '<=', asOf)
      .where('remaining', '>', 0)
      .where('expires_at', '>', after)
      .orderBy('expires_at')
      .limit(BATCH)
      .execute();
    if (due.length === 0) return summary;
    for (const { id } of due) {
      const r = await expireLot({ db, now: () => asOf }, { lotId: id, asOf });
      if (r) {
        summary.items += 1;
        summary.points -= r.points;
      }
    }
    // Every lot of the batch now has nothing left, so the same query moves on by itself; `after`
    // only guards against a lot that cannot be expired (it would otherwise be fetched forever).
    const last = due[due.length - 1];
    if (due.length < BATCH) return summary;
    if (last && last.expires_at !== null) after = Math.max(after, last.expires_at - 1);
    progress?.(summary.items);
  }
}

/** The monthly review of every account's tier (upgrade catch-up, warning, downgrade). */
export async function reviewTiers(db: Db, asOf: number, progress?: JobProgress): Promise<Record<string, number>> {
  const counts: Record<string, number> = { keep: 0, warn: 0, downgrade: 0, upgrade: 0 };
  let after = 0;
  for (;;) {
    const page = await db.kysely.selectFrom('account').select('id').where('id', '>', after).orderBy('id').limit(BATCH).execute();
    if (page.length === 0) return counts;
    for (const { id } of page) {
      const action = await inTransaction(db, async (trx) => {
        const [account] = await lockAccounts(trx, db.dialect, [id]);
        if (!account) return null;
        const result = await reviewAccountTier(trx, account, asOf);
        await saveAccountBalances(trx, account);
        return result?.action ?? null;
      });
      if (action) counts[action] = (counts[action] ?? 0) + 1;
      after = id;
    }
    progress?.(Object.values(counts).reduce((a, b) => a + b, 0));
  }
}

/** Birthday gifts for members whose birthday (MM-DD) is `asOf`'s China date; once per member per year. */
export async function grantBirthdayGifts(db: Db, asOf: number, progress?: JobProgress): Promise<JobSummary> {
  const summary = { items: 0, points: 0 };
  const programRow = await defaultProgram(db.kysely);
  if (!programRow) return summary;
  const program = programConfig(programRow);
  const gift = birthdayGift(ruleSetOf(await ruleSetInForce(db.kysely, program.id, null, asOf)).rules);
  if (gift.points <= 0) return summary;
  const iso = toIsoUtc(asOf);
  const monthDay = chinaDate(iso).slice(5);
  const year = chinaLocalParts(iso).year;
  let after = 0;
  for (;;) {
    const page = await db.kysely
      .selectFrom('member')
      .select('id')
      .where('birthday', '=', monthDay)
      .where('status', '=', 'active')
      .where('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (page.length === 0) return summary;
    for (const { id } of page) {
      const account = await ensureAccount(db.kysely, id, program.id, lowestTier(program), asOf);
      const r = await credit(
        { db, now: () => asOf },
        { source: 'grant', key: `birthday:${id}:${year}` },
        { accountId: account.id, points: gift.points, kind: 'grant', expiresAt: expiryFor(program, asOf), reason: gift.text },
      ).catch((e: unknown) => {
        // A frozen account (fraud) gets no gift; the job goes on with the next member.
        if (e instanceof JifenError && e.code === 'ACCOUNT_FROZEN') return null;
        throw e;
      });
      if (r && !r.replayed) {
        summary.items += 1;
        summary.points += gift.points;
      }
      after = id;
    }
    progress?.(summary.items);
  }
}
