/**
 * Exchanging points between the group's programs at HQ's rates: `from_points` of the source buy
 * `to_points` of the target, rounded down; both sides post in one ledger transaction.
 */
import { JifenError } from '@jifen/shared';
import type { ExchangeRateView, ExchangeRequest, ExchangeResponse } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import * as activity from '../repositories/member-activity.repository.js';
import { ensureAccount } from '../repositories/member.repository.js';
import type { MemberRow } from '../repositories/member.repository.js';
import { findProgramByCode } from '../repositories/org.repository.js';
import { exchange } from './ledger.js';
import { expiryFor, lowestTier, programConfig } from './programs.js';

export async function exchangeRates(db: Db): Promise<ExchangeRateView[]> {
  return (await activity.enabledRates(db.kysely)).map((r) => ({
    from: { code: r.fromCode, name: r.fromName },
    to: { code: r.toCode, name: r.toName },
    fromPoints: r.from_points,
    toPoints: r.to_points,
  }));
}

/** Points of the target program that `points` of the source buy at this rate (rounded down). */
export function applyRate(points: number, rate: { from_points: number; to_points: number }): number {
  return Number((BigInt(points) * BigInt(rate.to_points)) / BigInt(rate.from_points));
}

/**
 * Moves the member's points from one program to another, idempotent by the member's key.
 * Throws PROGRAM_NOT_FOUND, EXCHANGE_NOT_ALLOWED (no enabled rate), VALIDATION_FAILED (rounds to
 * nothing), POINTS_INSUFFICIENT, ACCOUNT_IN_DEBT, IDEMPOTENCY_CONFLICT.
 */
export async function exchangePoints(
  deps: { db: Db; now: () => number },
  member: MemberRow,
  req: ExchangeRequest,
): Promise<ExchangeResponse & { replayed: boolean }> {
  const db = deps.db.kysely;
  const now = deps.now();
  const fromRow = await findProgramByCode(db, req.fromProgram);
  if (!fromRow) throw new JifenError('PROGRAM_NOT_FOUND', `program ${req.fromProgram} not found`, 'fromProgram');
  const toRow = await findProgramByCode(db, req.toProgram);
  if (!toRow) throw new JifenError('PROGRAM_NOT_FOUND', `program ${req.toProgram} not found`, 'toProgram');
  const from = programConfig(fromRow);
  const to = programConfig(toRow);
  const rate = from.id === to.id ? undefined : await activity.findRate(db, from.id, to.id);
  if (!rate || !rate.enabled || rate.from_points <= 0 || rate.to_points <= 0)
    throw new JifenError('EXCHANGE_NOT_ALLOWED', `points of ${from.name} cannot be exchanged for ${to.name}`);
  const toPoints = applyRate(req.points, rate);
  if (toPoints < 1)
    throw new JifenError(
      'VALIDATION_FAILED',
      `points: at least ${Math.ceil(rate.from_points / rate.to_points)} points are needed at this rate`,
      'points',
    );
  const fromAccount = await ensureAccount(db, member.id, from.id, lowestTier(from), now);
  const toAccount = await ensureAccount(db, member.id, to.id, lowestTier(to), now);
  const posting = await exchange(
    { db: deps.db, now: () => now },
    {
      source: 'member-exchange',
      key: `${member.id}:${req.idempotencyKey}`,
      // The request as sent: a retry after HQ changed the rate still replays the first answer.
      fingerprint: { memberId: member.id, from: from.code, to: to.code, points: req.points },
    },
    {
      fromAccountId: fromAccount.id,
      toAccountId: toAccount.id,
      points: req.points,
      toPoints,
      toExpiresAt: expiryFor(to, now),
      reason: `积分互换：${from.name} → ${to.name}`,
      actor: `member:${member.id}`,
    },
  );
  const credited = await activity.exchangeCreditOf(db, posting.entryId);
  const fromBalance = await activity.accountBalance(db, fromAccount.id);
  const toBalance = await activity.accountBalance(db, toAccount.id);
  return {
    debited: req.points,
    credited: credited ? credited.points + credited.pending_delta : toPoints,
    fromBalance: fromBalance.available,
    toBalance: toBalance.available,
    replayed: posting.replayed,
  };
}
