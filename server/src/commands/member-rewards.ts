/**
 * Rewards and vouchers. Redeeming takes one transaction: the reward row is locked, the stock taken
 * with a conditional UPDATE (never below zero), the member's limit and tier checked, the points
 * debited through the ledger, and a signed single-use voucher (JFV1.) issued. A replay of the same
 * idempotency key returns the same voucher. The kiosk takes a voucher with redeemVoucher.
 */
import { JifenError, toIsoUtc } from '@jifen/shared';
import type { RedeemResponse, RewardView, VoucherView } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { inTransaction, isDuplicateKeyError } from '../db/dialect.js';
import type { CodeSigner } from '../lib/codes.js';
import { sha256Hex } from '../lib/crypto.js';
import { newId } from '../lib/ids.js';
import * as rewards from '../repositories/member-reward.repository.js';
import type { RewardRow, VoucherRow } from '../repositories/member-reward.repository.js';
import { ensureAccount } from '../repositories/member.repository.js';
import type { MemberRow } from '../repositories/member.repository.js';
import { debit } from './ledger.js';
import { loadDefaultProgram } from './members.js';
import { loadProgram, lowestTier, tierName } from './programs.js';

/** A voucher is valid for 30 days after it is issued. */
export const VOUCHER_TTL_MS = 30 * 86_400_000;

export interface RewardDeps {
  db: Db;
  codes: CodeSigner;
  now: () => number;
}

export interface RewardInput {
  programId: number;
  name: string;
  description?: string;
  pointsCost: number;
  /** null or absent: unlimited. */
  stock?: number | null;
  perMemberLimit?: number | null;
  /** Tier codes that may redeem it; empty or absent: everyone. */
  tiers?: string[];
  active?: boolean;
  sortOrder?: number;
}

/** Adds a reward to a program's catalogue (HQ's endpoint comes with issue 6). Throws VALIDATION_FAILED. */
export async function createReward(db: Db, input: RewardInput, now: number = Date.now()): Promise<number> {
  if (!Number.isSafeInteger(input.pointsCost) || input.pointsCost < 1)
    throw new JifenError('VALIDATION_FAILED', 'pointsCost must be a positive integer', 'pointsCost');
  if (input.stock != null && (!Number.isSafeInteger(input.stock) || input.stock < 0))
    throw new JifenError('VALIDATION_FAILED', 'stock must be a non-negative integer', 'stock');
  if (input.perMemberLimit != null && (!Number.isSafeInteger(input.perMemberLimit) || input.perMemberLimit < 1))
    throw new JifenError('VALIDATION_FAILED', 'perMemberLimit must be a positive integer', 'perMemberLimit');
  const id = newId();
  await rewards.insertReward(db.kysely, {
    id,
    program_id: input.programId,
    name: input.name.slice(0, 64),
    description: (input.description ?? '').slice(0, 255),
    points_cost: input.pointsCost,
    stock: input.stock ?? null,
    per_member_limit: input.perMemberLimit ?? null,
    tiers: JSON.stringify(input.tiers ?? []),
    active: input.active === false ? 0 : 1,
    sort_order: input.sortOrder ?? 0,
    created_at: now,
    updated_at: now,
  });
  return id;
}

/** The demo catalogue. Idempotent: does nothing when the program already has rewards. Returns how many it added. */
export async function seedDemoRewards(db: Db, programId: number, now: number = Date.now()): Promise<number> {
  if ((await rewards.countRewards(db.kysely, programId)) > 0) return 0;
  const demo: RewardInput[] = [
    { programId, name: '鲜榨橙汁券', description: '任意门店兑换一杯鲜榨橙汁（中杯）', pointsCost: 300, sortOrder: 1 },
    {
      programId,
      name: '水果礼盒',
      description: '当季水果礼盒一份，限量供应',
      pointsCost: 1500,
      stock: 20,
      perMemberLimit: 1,
      sortOrder: 2,
    },
    {
      programId,
      name: '黄金会员专享茶礼',
      description: '茶语精选茶礼一份，黄金及以上会员可兑',
      pointsCost: 800,
      stock: 50,
      tiers: ['gold', 'platinum'],
      sortOrder: 3,
    },
  ];
  for (const r of demo) await createReward(db, r, now);
  return demo.length;
}

function tiersOf(r: RewardRow): string[] {
  return JSON.parse(r.tiers) as string[];
}

export function presentVoucher(v: VoucherRow, rewardName: string, now: number): VoucherView {
  return {
    id: v.id,
    code: v.code,
    rewardName,
    status: v.status === 'used' ? 'used' : v.expires_at <= now ? 'expired' : 'active',
    expiresAt: toIsoUtc(v.expires_at),
    usedAt: v.used_at === null ? null : toIsoUtc(v.used_at),
  };
}

/** The default program's active rewards, with what this member may do with each. */
export async function rewardsFor(deps: RewardDeps, member: MemberRow): Promise<RewardView[]> {
  const db = deps.db.kysely;
  const program = await loadDefaultProgram(deps.db);
  const account = await ensureAccount(db, member.id, program.id, lowestTier(program), deps.now());
  const mine = await rewards.voucherCountsOf(db, member.id);
  return (await rewards.activeRewards(db, program.id)).map((r) => {
    const tiers = tiersOf(r);
    const redeemedByMe = mine.get(r.id) ?? 0;
    let reason: string | null = null;
    if (r.stock !== null && r.stock <= 0) reason = '已兑完';
    else if (tiers.length > 0 && !tiers.includes(account.tier_code))
      reason = `仅限${tiers.map((t) => tierName(program, t)).join('、')}会员`;
    else if (r.per_member_limit !== null && redeemedByMe >= r.per_member_limit) reason = `每人限兑${r.per_member_limit}次`;
    else if (account.available < r.points_cost) reason = '积分不足';
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      pointsCost: r.points_cost,
      stock: r.stock,
      perMemberLimit: r.per_member_limit,
      tiers,
      redeemedByMe,
      available: reason === null,
      unavailableReason: reason,
    };
  });
}

/**
 * Redeems a reward for a voucher. Throws REWARD_NOT_FOUND, REWARD_UNAVAILABLE (withdrawn),
 * REWARD_TIER_REQUIRED, REWARD_LIMIT_REACHED, REWARD_SOLD_OUT, POINTS_INSUFFICIENT, ACCOUNT_IN_DEBT,
 * IDEMPOTENCY_CONFLICT (the key was used for another reward).
 */
export async function redeemReward(
  deps: RewardDeps,
  member: MemberRow,
  rewardId: number,
  idempotencyKey: string,
): Promise<RedeemResponse & { replayed: boolean }> {
  const now = deps.now();
  const db = deps.db.kysely;
  const idemHash = sha256Hex(`${member.id}\u0000${idempotencyKey}`);
  const replay = async (v: VoucherRow) => {
    if (v.reward_id !== rewardId)
      throw new JifenError('IDEMPOTENCY_CONFLICT', `idempotency key "${idempotencyKey}" was already used for another reward`);
    const reward = await rewards.findReward(db, v.reward_id);
    const account = await rewards.accountOf(db, member.id, v.program_id);
    return { voucher: presentVoucher(v, reward?.name ?? '', now), balance: account?.available ?? 0, replayed: true };
  };
  const earlier = await rewards.findVoucherByIdem(db, idemHash);
  if (earlier) return replay(earlier);
  const head = await rewards.findReward(db, rewardId);
  if (!head) throw new JifenError('REWARD_NOT_FOUND', `reward ${rewardId} not found`);
  const program = await loadProgram(db, head.program_id);
  if (!program) throw new JifenError('PROGRAM_NOT_FOUND', `program ${head.program_id} not found`);
  // Created before the transaction: SQLite has one connection, and the transaction holds it.
  const { id: accountId } = await ensureAccount(db, member.id, program.id, lowestTier(program), now);
  try {
    const outcome = await inTransaction(deps.db, async (trx): Promise<{ twin: VoucherRow } | { issued: RedeemResponse }> => {
      // Every redemption of this reward queues here: the stock, limit and tier checks see the truth.
      const reward = await rewards.lockReward(trx, deps.db.dialect, rewardId);
      if (!reward) throw new JifenError('REWARD_NOT_FOUND', `reward ${rewardId} not found`);
      const twin = await rewards.findVoucherByIdem(trx, idemHash);
      if (twin) return { twin };
      if (!reward.active) throw new JifenError('REWARD_UNAVAILABLE', 'this reward is no longer offered');
      const account = await rewards.tierOfAccount(trx, accountId);
      const tiers = tiersOf(reward);
      if (tiers.length > 0 && !tiers.includes(account.tier_code))
        throw new JifenError('REWARD_TIER_REQUIRED', `only for ${tiers.map((t) => tierName(program, t)).join('、')} members`);
      if (reward.per_member_limit !== null && (await rewards.countVouchersOf(trx, member.id, reward.id)) >= reward.per_member_limit)
        throw new JifenError('REWARD_LIMIT_REACHED', `at most ${reward.per_member_limit} per member`);
      if (reward.stock !== null && !(await rewards.takeStock(trx, reward.id)))
        throw new JifenError('REWARD_SOLD_OUT', 'this reward is sold out');
      const voucherId = newId();
      const expiresAt = now + VOUCHER_TTL_MS;
      // A failed debit (POINTS_INSUFFICIENT) rolls the stock back with it.
      const posting = await debit(
        { db: deps.db, trx, now: () => now },
        { source: 'reward', key: `${member.id}:${idempotencyKey}`, fingerprint: { rewardId } },
        {
          accountId,
          points: reward.points_cost,
          kind: 'spend',
          reason: `兑换 ${reward.name}`,
          orderRef: `voucher:${voucherId}`,
          actor: `member:${member.id}`,
        },
      );
      const row: VoucherRow = {
        id: voucherId,
        code: deps.codes.voucherCode(voucherId, expiresAt),
        reward_id: reward.id,
        member_id: member.id,
        program_id: reward.program_id,
        idem_hash: idemHash,
        points: reward.points_cost,
        debit_entry_id: posting.entryId,
        status: 'active',
        expires_at: expiresAt,
        used_at: null,
        used_by: null,
        created_at: now,
      };
      await rewards.insertVoucher(trx, row);
      return { issued: { voucher: presentVoucher(row, reward.name, now), balance: posting.available } };
    });
    return 'twin' in outcome ? await replay(outcome.twin) : { ...outcome.issued, replayed: false };
  } catch (e) {
    // The same key on another connection committed first: answer with its voucher.
    if (!isDuplicateKeyError(e)) throw e;
    const twin = await rewards.findVoucherByIdem(db, idemHash);
    if (!twin) throw e;
    return replay(twin);
  }
}

export async function vouchersFor(deps: RewardDeps, member: MemberRow): Promise<VoucherView[]> {
  const now = deps.now();
  return (await rewards.vouchersOfMember(deps.db.kysely, member.id)).map((v) => presentVoucher(v, v.reward_name, now));
}

export interface VoucherRedemption {
  voucherId: number;
  rewardName: string;
  memberId: number;
  usedAt: string;
}

/**
 * The kiosk scanned a voucher: it is used, once. Only a store of the voucher's program takes it.
 * Throws CODE_UNKNOWN, CODE_FORGED, CODE_USED, CODE_EXPIRED, REWARD_UNAVAILABLE (another program's store).
 */
export async function redeemVoucher(
  deps: RewardDeps,
  code: string,
  terminal: { terminalId: number; storeId: number },
): Promise<VoucherRedemption> {
  const now = deps.now();
  const db = deps.db.kysely;
  const { voucherId } = deps.codes.openVoucherCode(code);
  const voucher = await rewards.findVoucherById(db, voucherId);
  if (!voucher || voucher.code !== code.trim()) throw new JifenError('CODE_UNKNOWN', 'no voucher matches this code', 'code');
  if ((await rewards.programOfStore(db, terminal.storeId)) !== voucher.program_id)
    throw new JifenError('REWARD_UNAVAILABLE', 'this voucher is not valid at this store', 'code');
  if (!(await rewards.useVoucher(db, voucher.id, `terminal:${terminal.terminalId}`, now))) {
    const again = await rewards.findVoucherById(db, voucher.id);
    if (again?.status === 'used') throw new JifenError('CODE_USED', 'this voucher has already been used', 'code');
    throw new JifenError('CODE_EXPIRED', 'this voucher has expired', 'code');
  }
  const reward = await rewards.findReward(db, voucher.reward_id);
  return { voucherId: voucher.id, rewardName: reward?.name ?? '', memberId: voucher.member_id, usedAt: toIsoUtc(now) };
}
