/**
 * Tiers follow growth value (eligible spend), kept apart from spendable points. Upgrades happen in
 * the same transaction as the credit that earned them; downgrades only at the monthly review.
 */
import { monthlyReview, toIsoUtc, upgradeOnGrowth } from '@jifen/shared';
import type { Trx } from '../db/dialect.js';
import { newId } from '../lib/ids.js';
import { growthSince } from '../repositories/member-activity.repository.js';
import type { AccountRow } from '../repositories/ledger.repository.js';
import { findProgramById } from '../repositories/org.repository.js';
import { loadProgram, programConfig } from './programs.js';

export const ROLLING_WINDOW_MS = 365 * 24 * 60 * 60 * 1000;

/** Raises the account's tier if its rolling 12-month growth reaches a higher one. Mutates `account`. */
export async function upgradeIfEarned(trx: Trx, account: AccountRow, now: number): Promise<string | null> {
  const program = await loadProgram(trx, account.program_id);
  if (!program) return null;
  // Rolling growth never exceeds all-time growth: when even that reaches no higher tier, skip the sum.
  const current = program.tiers.tiers.findIndex((t) => t.code === account.tier_code);
  const next = program.tiers.tiers[current + 1];
  if (!next || account.growth < next.minGrowth) return null;
  const growth = await growthSince(trx, account.id, now - ROLLING_WINDOW_MS);
  const to = upgradeOnGrowth(program.tiers, account.tier_code, Math.max(0, growth));
  if (!to) return null;
  await recordTierChange(trx, account, to, 'upgrade', now);
  return to;
}

export async function recordTierChange(trx: Trx, account: AccountRow, to: string, reason: string, now: number): Promise<void> {
  await trx
    .insertInto('tier_history')
    .values({ id: newId(), account_id: account.id, from_code: account.tier_code, to_code: to, reason, created_at: now })
    .execute();
  account.tier_code = to;
  account.tier_since = now;
  account.tier_warned_at = null;
}

/** The monthly review of one account (caller holds the account lock). Returns the action taken. */
export async function reviewAccountTier(trx: Trx, account: AccountRow, now: number) {
  const row = await findProgramById(trx, account.program_id);
  if (!row) return null;
  const program = programConfig(row);
  const growth = Math.max(0, await growthSince(trx, account.id, now - ROLLING_WINDOW_MS));
  const result = monthlyReview({
    tiers: program.tiers,
    currentCode: account.tier_code,
    tierSince: toIsoUtc(account.tier_since),
    rollingGrowth12m: growth,
    warnedAt: account.tier_warned_at === null ? null : toIsoUtc(account.tier_warned_at),
    asOf: toIsoUtc(now),
  });
  if ((result.action === 'upgrade' || result.action === 'downgrade') && result.toCode) {
    await recordTierChange(trx, account, result.toCode, result.action === 'upgrade' ? 'review_upgrade' : 'review_downgrade', now);
  } else if (result.action === 'warn') {
    account.tier_warned_at = now;
  } else if (result.clearWarning) {
    account.tier_warned_at = null;
  }
  return result;
}
