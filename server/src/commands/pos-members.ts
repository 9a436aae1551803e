/**
 * The member at the till: looked up by the scanned member code or the typed phone (one indexed read
 * each; the till never loads members), shown masked with tier and points, and handed back to the till
 * as a short-lived reference (JFK1) so the sale can be created after the 60-second member code has
 * expired. The points preview runs the same quotePurchase settlement runs.
 */
import { JifenError, maskPhone } from '@jifen/shared';
import type { MemberRef, OrderLine, PosMemberView, PosPreviewRequest, PosPreviewResult } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import type { PersonalDataCipher } from '../lib/crypto.js';
import { MEMBER_REF_TTL_MS } from '../lib/codes.js';
import { TtlCache } from '../lib/ttl-cache.js';
import type { CodeSigner } from '../lib/codes.js';
import { hitRateLimit } from '../repositories/member-claim.repository.js';
import { rateLimitReached } from '../repositories/pos.repository.js';
import { findAccount, findAccountWithGrowth, findMemberById, findMemberByPhoneHash } from '../repositories/member.repository.js';
import type { AccountRow, MemberRow } from '../repositories/member.repository.js';
import { ruleSetInForce } from '../repositories/rules.repository.js';
import { quotePurchase } from './earning.js';
import { maskName } from './hq-members.js';
import { progressOf } from './member-account.js';
import { orderAmount } from './orders.js';
import { lowestTier, ruleSetOf, tierName } from './programs.js';
import type { ProgramConfig } from './programs.js';
import { tillContext } from './pos-shifts.js';
import type { TerminalRef, TillContext } from './pos-shifts.js';
import { ROLLING_WINDOW_MS } from './tiers.js';

export interface PosMemberDeps {
  db: Db;
  cipher: PersonalDataCipher;
  codes: CodeSigner;
  now: () => number;
}

/** A sale journaled offline may name a member code that was valid when it was scanned, up to this long ago. */
export const OFFLINE_CODE_GRACE_MS = 72 * 3_600_000;

/**
 * Phone numbers that match no member, per till: a few are typing mistakes, many are someone walking
 * through numbers to learn who is a member. Only misses are counted (a write), so a till's normal
 * lookups cost one read of the counter.
 */
export const PHONE_MISSES_ALLOWED = 20;
export const PHONE_MISS_WINDOW_MS = 15 * 60_000;

/**
 * The active member a till names by code, phone or reference. `codeTime` is when a member code must
 * have been valid (now, or an offline sale's device time). `offline`: a sale journaled offline, whose
 * phone misses are not counted (the queue must drain whatever the cashier typed back then).
 * Throws MEMBER_NOT_FOUND, MEMBER_CODE_INVALID, MEMBER_CODE_EXPIRED, RATE_LIMITED (too many phone misses).
 */
export async function memberAtTill(
  deps: PosMemberDeps,
  terminalId: number,
  ref: MemberRef,
  codeTime: number = deps.now(),
  offline = false,
): Promise<MemberRow> {
  const db = deps.db.kysely;
  const notFound = () => new JifenError('MEMBER_NOT_FOUND', 'no active member matches', 'member');
  if ('phone' in ref) {
    const now = deps.now();
    const bucket = `pos-phone-miss:${terminalId.toString(36)}`;
    if (!offline && (await rateLimitReached(db, bucket, PHONE_MISS_WINDOW_MS, PHONE_MISSES_ALLOWED, now)))
      throw new JifenError('RATE_LIMITED', 'too many phone numbers that match no member at this till: try again later');
    const found = await findMemberByPhoneHash(db, deps.cipher.lookupHash(ref.phone));
    if (found && found.status === 'active') return found;
    if (!offline) await hitRateLimit(db, bucket, PHONE_MISS_WINDOW_MS, PHONE_MISSES_ALLOWED, now);
    throw notFound();
  }
  const found =
    'code' in ref
      ? await findMemberById(db, deps.codes.verifyMemberCode(ref.code, codeTime))
      : await findMemberById(db, deps.codes.openMemberRef(ref.ref, terminalId, deps.now()));
  if (!found || found.status !== 'active') throw notFound();
  return found;
}

/**
 * The account a till reads for a member in its program, without creating one: a member who never
 * earned in this program shows the lowest tier and no points.
 */
function accountOrBlank(account: AccountRow | undefined, memberId: number, program: ProgramConfig, now: number): AccountRow {
  return (
    account ?? {
      id: 0,
      member_id: memberId,
      program_id: program.id,
      available: 0,
      pending: 0,
      held: 0,
      lifetime_earned: 0,
      growth: 0,
      tier_code: lowestTier(program),
      tier_since: now,
      tier_warned_at: null,
      entry_seq: 0,
      updated_at: now,
    }
  );
}

/** `POST /api/pos/members/lookup`. Throws MEMBER_NOT_FOUND, MEMBER_CODE_INVALID, MEMBER_CODE_EXPIRED. */
export async function lookupMemberAtTill(deps: PosMemberDeps, terminal: TerminalRef, query: MemberRef): Promise<PosMemberView> {
  const now = deps.now();
  const till = await tillContext(deps.db, terminal);
  const member = await memberAtTill(deps, terminal.terminalId, query);
  const db = deps.db.kysely;
  const stored = await findAccountWithGrowth(db, member.id, till.program.id, now - ROLLING_WINDOW_MS);
  const account = accountOrBlank(stored?.account, member.id, till.program, now);
  let tierProgress: string | undefined;
  if (stored) {
    const growthPerYuan = await growthPerYuanAt(deps.db, till, now);
    tierProgress = progressOf(till.program, account.tier_code, Math.max(0, stored.growth), growthPerYuan).text;
  }
  const phone = member.phone_enc ? deps.cipher.decrypt(member.phone_enc) : null;
  return {
    memberId: member.id,
    maskedName: member.name ? maskName(member.name) : '',
    maskedPhone: phone ? maskPhone(phone) : '',
    tier: { code: account.tier_code, name: tierName(till.program, account.tier_code) },
    available: account.available,
    pending: account.pending,
    ...(tierProgress ? { tierProgress } : {}),
    ref: deps.codes.memberRef(member.id, terminal.terminalId, now + MEMBER_REF_TTL_MS),
  };
}

/**
 * The growth rate the tier-progress line uses, from the rule set in force, remembered for a few
 * seconds per program and brand: every member scan shows it, and a newly published rule set only
 * changes the wording of that line.
 */
const growthRates = new TtlCache<string, number>(5_000);

async function growthPerYuanAt(db: Db, till: TillContext, now: number): Promise<number> {
  const key = `${till.program.id}:${till.brandId}`;
  const hit = growthRates.get(key, now);
  if (hit !== undefined) return hit;
  const growthPerYuan = ruleSetOf(await ruleSetInForce(db.kysely, till.program.id, till.brandId, now)).rules.growthPerYuan;
  growthRates.set(key, growthPerYuan, now);
  return growthPerYuan;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Points are spent in units worth whole fen: 1 point at 100 points = ￥1, 2 points at 100 = ￥0.50. */
export function redeemUnit(pointValueFen: number): number {
  return 100 / gcd(pointValueFen, 100);
}

/**
 * The most points an order of `amountFen` may take: the program's share cap, the member's balance
 * (nothing while in debt or frozen), whole-fen units.
 */
export function redeemLimit(program: ProgramConfig, amountFen: number, available: number): PosPreviewResult['redeem'] {
  const unitPoints = redeemUnit(program.pointValueFen);
  const maxFenByShare = Math.floor((amountFen * program.maxPointsSharePercent) / 100);
  const byShare = Math.floor((maxFenByShare * 100) / program.pointValueFen);
  const maxPoints = Math.floor(Math.max(0, Math.min(byShare, available)) / unitPoints) * unitPoints;
  return { maxPoints, maxFen: (maxPoints * program.pointValueFen) / 100, unitPoints };
}

/**
 * `POST /api/pos/preview`: the points these lines would earn now for this member (paying
 * `redeemPoints` with points), and how many points the order could take. Writes nothing.
 * Throws MEMBER_NOT_FOUND, MEMBER_CODE_*, VALIDATION_FAILED (redeemPoints beyond what the order allows).
 */
export async function previewAtTill(deps: PosMemberDeps, terminal: TerminalRef, req: PosPreviewRequest): Promise<PosPreviewResult> {
  const now = deps.now();
  const till: TillContext = await tillContext(deps.db, terminal);
  const member = await memberAtTill(deps, terminal.terminalId, req.member);
  const db = deps.db.kysely;
  const stored = await findAccount(db, member.id, till.program.id);
  const account = accountOrBlank(stored, member.id, till.program, now);
  const lines: OrderLine[] = req.lines;
  const amountFen = orderAmount(lines);
  if (amountFen <= 0) throw new JifenError('VALIDATION_FAILED', 'the order total must be positive', 'lines');
  const frozen = (stored as (AccountRow & { frozen_at?: number | null }) | undefined)?.frozen_at != null;
  const redeem = redeemLimit(till.program, amountFen, frozen ? 0 : account.available);
  const redeemPoints = req.redeemPoints ?? 0;
  if (redeemPoints > 0 && (redeemPoints > redeem.maxPoints || redeemPoints % redeem.unitPoints !== 0))
    throw new JifenError(
      'VALIDATION_FAILED',
      `this order may take at most ${redeem.maxPoints} points, in units of ${redeem.unitPoints}`,
      'redeemPoints',
    );
  const quote = await quotePurchase(
    db,
    {
      memberId: member.id,
      programId: till.program.id,
      brandId: till.brandId,
      brandCode: till.brandCode,
      storeCode: till.storeCode,
      placedAt: now,
      lines,
      pointsPaidFen: (redeemPoints * till.program.pointValueFen) / 100,
    },
    now,
    undefined,
    { member, account },
  );
  return {
    pointsEarned: frozen ? 0 : quote.result.points,
    trace: frozen ? ['账户已冻结，本单不积分'] : quote.result.trace.map((t) => t.text),
    redeem,
  };
}
