/**
 * Scan to earn. A receipt code (JFR1.) credits the points a sale paid without a member earns, under
 * that order's own rule set version, and makes the member the order's member (so a refund later
 * reverses them). A product code (JFP1., 一物一码) from an HQ batch credits the batch's points.
 * Every code claims once, whoever tries; members are held to a claim rate and a daily product limit.
 */
import { JifenError, chinaDayStart, toIsoUtc } from '@jifen/shared';
import type { ClaimResponse, OrderLine } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { inTransaction, isDuplicateKeyError, lockRowById } from '../db/dialect.js';
import { PRODUCT_CODE_PREFIX, RECEIPT_CODE_PREFIX } from '../lib/codes.js';
import type { CodeSigner } from '../lib/codes.js';
import { newId } from '../lib/ids.js';
import * as claims from '../repositories/member-claim.repository.js';
import { ensureAccount } from '../repositories/member.repository.js';
import type { MemberRow } from '../repositories/member.repository.js';
import { lockOrder } from '../repositories/order.repository.js';
import { earnForPurchase } from './earning.js';
import { credit } from './ledger.js';
import { loadDefaultProgram } from './members.js';
import { expiryFor, loadProgram, lowestTier } from './programs.js';

/** At most this many claim attempts (good or bad) per member per minute: scanning is by hand. */
export const CLAIMS_PER_MINUTE = 10;
/** At most this many product codes per member per China day (一物一码 fraud limit). */
export const PRODUCT_CLAIMS_PER_DAY = 20;
/** A batch is printed at once: this many codes at most. */
export const MAX_CODES_PER_BATCH = 100_000;

export interface ClaimDeps {
  db: Db;
  codes: CodeSigner;
  now: () => number;
}

/** A scanned QR may be a URL wrapping the code (…?c=JFP1.…): take the code out of it. */
function extractCode(scanned: string): string {
  const m = /(JF[RP]1\.[0-9a-z.]+)/.exec(scanned);
  return m?.[1] ?? scanned.trim();
}

/**
 * Claims a receipt or product code for the member. Throws RATE_LIMITED, CODE_FORGED, CODE_UNKNOWN,
 * CODE_USED, CODE_EXPIRED, CODE_VOID (refunded sale, voided batch), CLAIM_LIMIT_REACHED.
 */
export async function claimCode(deps: ClaimDeps, member: MemberRow, scanned: string): Promise<ClaimResponse> {
  const now = deps.now();
  // Counted before the code is even read, so guessing codes costs the same as claiming them.
  if (!(await claims.hitRateLimit(deps.db.kysely, `claim:${member.id}`, 60_000, CLAIMS_PER_MINUTE, now)))
    throw new JifenError('RATE_LIMITED', `at most ${CLAIMS_PER_MINUTE} codes a minute: try again shortly`);
  const code = extractCode(scanned);
  try {
    if (code.startsWith(`${RECEIPT_CODE_PREFIX}.`)) return await claimReceipt(deps, member, code, now);
    if (code.startsWith(`${PRODUCT_CODE_PREFIX}.`)) return await claimProduct(deps, member, code, now);
  } catch (e) {
    // A twin claim of the same code committed on another connection first: the unique key decided.
    if (isDuplicateKeyError(e)) throw new JifenError('CODE_USED', 'this code has already been claimed', 'code');
    throw e;
  }
  throw new JifenError('CODE_UNKNOWN', 'this is not a receipt or product code', 'code');
}

async function claimReceipt(deps: ClaimDeps, member: MemberRow, code: string, now: number): Promise<ClaimResponse> {
  const { orderId, expiresAt } = deps.codes.openReceiptCode(code);
  return inTransaction(deps.db, async (trx) => {
    // The order row lock serialises this claim with settlement, refunds and any twin claim.
    const order = await lockOrder(trx, deps.db.dialect, { id: orderId });
    if (!order || order.channel !== 'pos') throw new JifenError('CODE_UNKNOWN', 'no sale matches this receipt code', 'code');
    if (order.member_id !== null) throw new JifenError('CODE_USED', 'the points of this receipt have already been claimed', 'code');
    if (expiresAt <= now) throw new JifenError('CODE_EXPIRED', 'this receipt code has expired', 'code');
    if (order.status !== 'paid')
      throw new JifenError('CODE_VOID', 'this sale was refunded (or never paid): its receipt earns no points', 'code');
    const store = await claims.storeAndBrandCodes(trx, order.store_id);
    if (!store) throw new JifenError('CODE_UNKNOWN', 'no sale matches this receipt code', 'code');
    const program = await loadProgram(trx, order.program_id);
    if (!program) throw new JifenError('PROGRAM_NOT_FOUND', `program ${order.program_id} not found`);
    const ledger = { db: deps.db, trx, now: () => now };
    // The same key settlement would have used: an order can never earn twice, whichever path earns.
    const { posting } = await earnForPurchase(
      ledger,
      { source: 'order', key: `earn:${order.id}` },
      {
        memberId: member.id,
        programId: order.program_id,
        brandId: order.brand_id,
        brandCode: store.brandCode,
        storeCode: store.storeCode,
        placedAt: order.placed_at,
        lines: JSON.parse(order.lines) as OrderLine[],
        couponFen: order.coupon_fen,
        pointsPaidFen: order.points_paid_fen,
        orderRef: order.out_trade_no,
        ruleSetId: order.rule_set_id,
        member,
      },
    );
    await claims.assignClaimedOrder(trx, order.id, {
      memberId: member.id,
      earnEntryId: posting.entryId,
      pointsEarned: posting.points,
      now,
    });
    await claims.insertClaim(trx, {
      id: newId(),
      member_id: member.id,
      kind: 'receipt',
      code_ref: `receipt:${order.id}`,
      order_id: order.id,
      batch_id: null,
      points: posting.points,
      entry_id: posting.entryId,
      claimed_at: now,
    });
    const pending = posting.points > 0 && program.returnWindowDays > 0;
    return {
      kind: 'receipt',
      pointsEarned: posting.points,
      pending,
      balance: posting.available,
      message:
        posting.points === 0
          ? '该小票没有可得积分'
          : pending
            ? `消费积分到账 +${posting.points}（${program.returnWindowDays}天退货期后可用）`
            : `消费积分到账 +${posting.points}`,
    };
  });
}

async function claimProduct(deps: ClaimDeps, member: MemberRow, code: string, now: number): Promise<ClaimResponse> {
  const { batchId, serial } = deps.codes.openProductCode(code);
  const codeRef = `product:${batchId.toString(36)}:${serial.toString(36)}`;
  return inTransaction(deps.db, async (trx) => {
    const batch = await claims.findBatch(trx, batchId);
    if (!batch || serial >= batch.code_count) throw new JifenError('CODE_UNKNOWN', 'no product code batch matches this code', 'code');
    if (await claims.findClaimByRef(trx, codeRef)) throw new JifenError('CODE_USED', 'this code has already been claimed', 'code');
    if (batch.status !== 'active') throw new JifenError('CODE_VOID', 'this code batch was withdrawn', 'code');
    if (batch.expires_at <= now) throw new JifenError('CODE_EXPIRED', 'this product code has expired', 'code');
    // One member's claims queue on their member row, so the daily count below cannot be outrun.
    await lockRowById(trx, deps.db.dialect, 'member', member.id);
    const dayStart = Date.parse(chinaDayStart(toIsoUtc(now)));
    if ((await claims.countClaimsSince(trx, member.id, 'product', dayStart)) >= PRODUCT_CLAIMS_PER_DAY)
      throw new JifenError('CLAIM_LIMIT_REACHED', `at most ${PRODUCT_CLAIMS_PER_DAY} product codes a day`, 'code');
    const program = await loadProgram(trx, batch.program_id);
    if (!program) throw new JifenError('PROGRAM_NOT_FOUND', `program ${batch.program_id} not found`);
    const claimId = newId();
    // The unique code_ref is the once-per-code guard: a twin on another connection fails here.
    await claims.insertClaim(trx, {
      id: claimId,
      member_id: member.id,
      kind: 'product',
      code_ref: codeRef,
      order_id: null,
      batch_id: batch.id,
      points: batch.points,
      entry_id: null,
      claimed_at: now,
    });
    const account = await ensureAccount(trx, member.id, program.id, lowestTier(program), now);
    const posting = await credit(
      { db: deps.db, trx, now: () => now },
      { source: 'claim', key: `${member.id}:${codeRef}` },
      { accountId: account.id, points: batch.points, kind: 'grant', expiresAt: expiryFor(program, now), reason: `扫码积分：${batch.name}` },
    );
    await claims.setClaimEntry(trx, claimId, posting.entryId);
    return {
      kind: 'product',
      pointsEarned: batch.points,
      pending: false,
      balance: posting.available,
      message: `扫码积分到账 +${batch.points}`,
    };
  });
}

export interface ProductCodeBatchInput {
  sku: string;
  name: string;
  points: number;
  count: number;
  expiresAt: number;
  /** The program the points go to; the default program when absent. */
  programId?: number;
  createdBy?: string;
}

/**
 * Creates a batch of signed product codes (HQ prints them). The codes are not stored: each carries
 * the batch id and its serial under an HMAC, and the batch row holds points, expiry and status.
 * Throws VALIDATION_FAILED, PROGRAM_NOT_FOUND.
 */
export async function createProductCodeBatch(deps: ClaimDeps, input: ProductCodeBatchInput): Promise<{ batchId: number; codes: string[] }> {
  const now = deps.now();
  if (!Number.isSafeInteger(input.points) || input.points < 1)
    throw new JifenError('VALIDATION_FAILED', 'points must be a positive integer', 'points');
  if (!Number.isSafeInteger(input.count) || input.count < 1 || input.count > MAX_CODES_PER_BATCH)
    throw new JifenError('VALIDATION_FAILED', `count must be 1 to ${MAX_CODES_PER_BATCH}`, 'count');
  if (!Number.isSafeInteger(input.expiresAt) || input.expiresAt <= now)
    throw new JifenError('VALIDATION_FAILED', 'expiresAt must be in the future', 'expiresAt');
  const sku = input.sku.trim();
  const name = input.name.trim();
  if (!sku || sku.length > 64) throw new JifenError('VALIDATION_FAILED', 'sku must be 1 to 64 characters', 'sku');
  if (!name || name.length > 60) throw new JifenError('VALIDATION_FAILED', 'name must be 1 to 60 characters', 'name');
  const programId = input.programId ?? (await loadDefaultProgram(deps.db)).id;
  if (!(await loadProgram(deps.db.kysely, programId))) throw new JifenError('PROGRAM_NOT_FOUND', `program ${programId} not found`);
  const batchId = newId();
  await claims.insertBatch(deps.db.kysely, {
    id: batchId,
    program_id: programId,
    sku,
    name,
    points: input.points,
    code_count: input.count,
    status: 'active',
    expires_at: input.expiresAt,
    created_by: input.createdBy ?? null,
    created_at: now,
  });
  const codes = Array.from({ length: input.count }, (_, serial) => deps.codes.productCode(batchId, serial));
  return { batchId, codes };
}

/** Withdraws a batch: its unclaimed codes answer CODE_VOID from now on. Throws NOT_FOUND. */
export async function voidProductCodeBatch(db: Db, batchId: number): Promise<void> {
  if (!(await claims.setBatchStatus(db.kysely, batchId, 'void'))) throw new JifenError('NOT_FOUND', `batch ${batchId} not found`);
}
