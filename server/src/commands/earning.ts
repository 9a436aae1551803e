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
import { inTransaction, isDuplicateKeyError, lockAccountOf } from '../db/dialect.js';
import { newId } from '../lib/ids.js';
import { ensureAccount, findMemberById } from '../repositories/member.repository.js';
import type { AccountRow, MemberRow } from '../repositories/member.repository.js';
import { insertRuleSet, latestVersion, ruleSetInForce } from '../repositories/rules.repository.js';
import { credit } from './ledger.js';
import type { Idempotency, PostingResult } from './ledger.js';
import { expiryFor, loadProgram, loadRuleSet, lowestTier, ruleSetOf, tierName } from './programs.js';

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

/**
 * What a purchase would earn now (the kiosk's preview and the settlement both call this). Pass the
 * member and account rows when the caller has them (settlement) to save their reads.
 */
export async function quotePurchase(
  q: Kysely<Database>,
  input: PurchaseInput,
  now: number,
  pinnedRuleSetId?: number | null,
  known: { member?: MemberRow; account?: AccountRow } = {},
): Promise<PurchaseQuote> {
  const program = await loadProgram(q, input.programId);
  if (!program) throw new JifenError('PROGRAM_NOT_FOUND', `program ${input.programId} not found`);
  const member = known.member ?? (await findMemberById(q, input.memberId));
  if (!member) throw new JifenError('MEMBER_NOT_FOUND', `member ${input.memberId} not found`);
  const account = known.account ?? (await ensureAccount(q, member.id, program.id, lowestTier(program), now));
  const ruleSet = pinnedRuleSetId
    ? await loadRuleSet(q, pinnedRuleSetId)
    : ruleSetOf(await ruleSetInForce(q, program.id, input.brandId, input.placedAt));
  const dayStart = Date.parse(chinaDayStart(toIsoUtc(now)));
  // Bounded by the account's (account_id, created_at) index: today's purchase points, and whether
  // the member ever earned from a purchase (only asked when nothing was earned today).
  const today = await q
    .selectFrom('ledger_entry')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.sum<number | string | null>(eb('points', '+', eb.ref('pending_delta'))).as('p'),
    ])
    .where('account_id', '=', account.id)
    .where('kind', '=', 'earn')
    .where('created_at', '>=', dayStart)
    .where('created_at', '<', dayStart + DAY_MS)
    .executeTakeFirst();
  const earnedToday = Number(today?.p ?? 0);
  const isFirstPurchase =
    Number(today?.n ?? 0) === 0 &&
    !(await q
      .selectFrom('ledger_entry')
      .select('entry_seq')
      .where('account_id', '=', account.id)
      .where('kind', '=', 'earn')
      .limit(1)
      .executeTakeFirst());
  const result = evaluateEarning(ruleSet.rules, {
    lines: input.lines,
    orderDiscountFen: input.orderDiscountFen ?? 0,
    couponFen: input.couponFen ?? 0,
    pointsPaidFen: input.pointsPaidFen,
    member: {
      tierCode: account.tier_code,
      tierName: tierName(program, account.tier_code),
      ...(member.birthday ? { birthday: member.birthday } : {}),
      isFirstPurchase,
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
  input: PurchaseInput & { orderRef: string; ruleSetId: number | null; member?: MemberRow },
): Promise<{ posting: PostingResult; quote: PurchaseQuote }> {
  if (!deps.trx) return inTransaction(deps.db, (trx) => earnForPurchase({ ...deps, trx }, idem, input));
  const trx = deps.trx;
  const now = (deps.now ?? Date.now)();
  const program = await loadProgram(trx, input.programId);
  if (!program) throw new JifenError('PROGRAM_NOT_FOUND', `program ${input.programId} not found`);
  // Lock the account before reading what it earned today or ever: two settlements for one member
  // must not both see "first purchase" or both fit under the daily cap.
  let account = await lockAccountOf(trx, deps.db.dialect, input.memberId, program.id);
  if (!account) {
    await ensureAccount(trx, input.memberId, program.id, lowestTier(program), now);
    account = await lockAccountOf(trx, deps.db.dialect, input.memberId, program.id);
  }
  if (!account) throw new JifenError('ACCOUNT_NOT_FOUND', `member ${input.memberId} has no account in program ${program.code}`);
  const quote = await quotePurchase(trx, input, now, input.ruleSetId, { member: input.member, account });
  const posting = await credit(
    { db: deps.db, now: () => now, trx, locked: [account] },
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
