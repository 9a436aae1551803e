/**
 * Points for a purchase: the shared rules engine (the same code the kiosk previews with), fed
 * with the member's state and the rule set version in force when the order was placed.
 */
import { JifenError, RuleSetSchema, chinaDayStart, evaluateEarning, summarizeTrace, toIsoUtc } from '@jifen/shared';
import type { EarningInput, EarningResult, RuleSetInput } from '@jifen/shared';
import type { Kysely } from 'kysely';
import type { Db } from '../db/connect.js';
import type { Trx } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import { inTransaction, isDuplicateKeyError, lockAccounts } from '../db/dialect.js';
import { newId } from '../lib/ids.js';
import { findMemberById } from '../repositories/member.repository.js';
import { ensureAccount } from '../repositories/member.repository.js';
import { findProgramById } from '../repositories/org.repository.js';
import { findRuleSet, insertRuleSet, latestVersion, ruleSetInForce } from '../repositories/rules.repository.js';
import { credit } from './ledger.js';
import type { Idempotency, PostingResult } from './ledger.js';
import { expiryFor, lowestTier, programConfig, ruleSetOf, tierName } from './programs.js';

const DAY_MS = 86_400_000;

/**
 * Publishes a new version of a program's (or a brand's) rules, effective from `effectiveFrom`.
 * Earlier versions stay as they were: orders placed under them settle under them.
 * Throws VALIDATION_FAILED (invalid rules, with the field).
 */
export async function publishRuleSet(
  db: Db,
  input: { programId: number; brandId?: number | null; rules: RuleSetInput; effectiveFrom: number; actor: string; now: number },
): Promise<{ id: number; version: number }> {
  const parsed = RuleSetSchema.safeParse(input.rules);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new JifenError(
      'VALIDATION_FAILED',
      `rules.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      `rules.${issue?.path.join('.') ?? ''}`,
    );
  }
  const brandId = input.brandId ?? 0;
  for (let attempt = 0; ; attempt++) {
    const version = (await latestVersion(db.kysely, input.programId, brandId)) + 1;
    const id = newId();
    try {
      await insertRuleSet(db.kysely, {
        id,
        program_id: input.programId,
        brand_id: brandId,
        version,
        rules: JSON.stringify(parsed.data),
        status: 'published',
        effective_from: input.effectiveFrom,
        created_at: input.now,
        created_by: input.actor,
      });
      return { id, version };
    } catch (e) {
      // Two publishers raced for the same version number: the unique key decides, retry with the next.
      if (!isDuplicateKeyError(e) || attempt > 5) throw e;
    }
  }
}

export interface PurchaseInput {
  memberId: number;
  programId: number;
  brandId: number | null;
  brandCode: string;
  storeCode: string;
  /** When the order was placed: selects the rule set version. */
  placedAt: number;
  lines: EarningInput['lines'];
  orderDiscountFen?: number;
  couponFen?: number;
  pointsPaidFen: number;
}

export interface PurchaseQuote {
  ruleSetId: number | null;
  ruleSetVersion: number;
  result: EarningResult;
  accountId: number;
}

/** What a purchase would earn now (the kiosk's preview and the settlement both call this). */
export async function quotePurchase(
  q: Kysely<Database>,
  input: PurchaseInput,
  now: number,
  pinnedRuleSetId?: number | null,
): Promise<PurchaseQuote> {
  const programRow = await findProgramById(q, input.programId);
  if (!programRow) throw new JifenError('PROGRAM_NOT_FOUND', `program ${input.programId} not found`);
  const program = programConfig(programRow);
  const member = await findMemberById(q, input.memberId);
  if (!member) throw new JifenError('MEMBER_NOT_FOUND', `member ${input.memberId} not found`);
  const account = await ensureAccount(q, member.id, program.id, lowestTier(program), now);
  const row = pinnedRuleSetId ? await findRuleSet(q, pinnedRuleSetId) : await ruleSetInForce(q, program.id, input.brandId, input.placedAt);
  const ruleSet = ruleSetOf(row);
  const dayStart = Date.parse(chinaDayStart(toIsoUtc(now)));
  const earnedRows = await q
    .selectFrom('ledger_entry')
    .select(['points', 'pending_delta', 'created_at'])
    .where('account_id', '=', account.id)
    .where('kind', '=', 'earn')
    .execute();
  const earnedToday = earnedRows
    .filter((e) => e.created_at >= dayStart && e.created_at < dayStart + DAY_MS)
    .reduce((s, e) => s + e.points + e.pending_delta, 0);
  const result = evaluateEarning(ruleSet.rules, {
    lines: input.lines,
    orderDiscountFen: input.orderDiscountFen ?? 0,
    couponFen: input.couponFen ?? 0,
    pointsPaidFen: input.pointsPaidFen,
    member: {
      tierCode: account.tier_code,
      tierName: tierName(program, account.tier_code),
      ...(member.birthday ? { birthday: member.birthday } : {}),
      isFirstPurchase: earnedRows.length === 0,
      pointsAlreadyEarnedToday: Math.max(0, earnedToday),
    },
    brandCode: input.brandCode,
    storeCode: input.storeCode,
    placedAt: toIsoUtc(input.placedAt),
  });
  return { ruleSetId: ruleSet.id, ruleSetVersion: ruleSet.version, result, accountId: account.id };
}

/**
 * Credits a purchase's points, pending for the program's return window, under the rule set version
 * pinned when the order was placed. Idempotent by the caller's key (e.g. the WeChat transaction).
 */
export async function earnForPurchase(
  deps: { db: Db; now?: () => number; trx?: Trx },
  idem: Idempotency,
  input: PurchaseInput & { orderRef: string; ruleSetId: number | null },
): Promise<{ posting: PostingResult; quote: PurchaseQuote }> {
  if (!deps.trx) return inTransaction(deps.db, (trx) => earnForPurchase({ ...deps, trx }, idem, input));
  const trx = deps.trx;
  const now = (deps.now ?? Date.now)();
  const program = programConfig((await findProgramById(trx, input.programId))!);
  const account = await ensureAccount(trx, input.memberId, program.id, lowestTier(program), now);
  // Lock the account before reading what it earned today or ever: two settlements for one member
  // must not both see "first purchase" or both fit under the daily cap.
  await lockAccounts(trx, deps.db.dialect, [account.id]);
  const quote = await quotePurchase(trx, input, now, input.ruleSetId);
  const posting = await credit(
    { db: deps.db, now: () => now, trx },
    { ...idem, fingerprint: idem.fingerprint ?? { orderRef: input.orderRef } },
    {
      accountId: quote.accountId,
      points: quote.result.points,
      growth: quote.result.growth,
      kind: 'earn',
      pendingUntil: program.returnWindowDays > 0 ? now + program.returnWindowDays * DAY_MS : null,
      expiresAt: expiryFor(program, now),
      reason: summarizeTrace(quote.result.trace),
      trace: { ruleSetVersion: quote.ruleSetVersion, lines: quote.result.lines, steps: quote.result.trace },
      orderRef: input.orderRef,
    },
  );
  return { posting, quote };
}
