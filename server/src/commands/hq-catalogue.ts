/**
 * The rewards catalogue (cost, stock, limits, tiers, active or not) and product-code batches
 * (一物一码: N signed codes for a SKU, printed from a streamed CSV, voidable). Every change audited.
 */
import { JifenError } from '@jifen/shared';
import type { AdminRewardView, CodeBatchView, CreateCodeBatchRequest, CreateRewardRequest, UpdateRewardRequest } from '@jifen/shared';
import type { CodeSigner } from '../lib/codes.js';
import * as catalogue from '../repositories/hq-catalogue.repository.js';
import { programByCode } from '../repositories/hq-org.repository.js';
import { findBatch } from '../repositories/member-claim.repository.js';
import { createProductCodeBatch, voidProductCodeBatch } from './member-claims.js';
import { createReward } from './member-rewards.js';
import { loadDefaultProgram } from './members.js';
import { programConfig } from './programs.js';
import { actorName, iso, record } from './hq-common.js';
import type { HqActor, HqDeps } from './hq-common.js';

type RewardRowWithProgram = NonNullable<Awaited<ReturnType<typeof catalogue.rewardWithProgram>>>;

function presentReward(r: RewardRowWithProgram, issued: number): AdminRewardView {
  return {
    id: r.id,
    programCode: r.program_code,
    name: r.name,
    description: r.description,
    pointsCost: r.points_cost,
    stock: r.stock,
    perMemberLimit: r.per_member_limit,
    tiers: JSON.parse(r.tiers) as string[],
    active: r.active === 1,
    sortOrder: r.sort_order,
    issued,
    updatedAt: iso(r.updated_at),
  };
}

async function programFor(deps: HqDeps, code: string | undefined) {
  if (!code) return loadDefaultProgram(deps.db);
  const row = await programByCode(deps.db.kysely, code);
  if (!row) throw new JifenError('PROGRAM_NOT_FOUND', `program ${code} not found`, 'programCode');
  return programConfig(row);
}

function checkTiers(program: { tiers: { tiers: Array<{ code: string }> } }, tiers: string[] | undefined): void {
  const known = new Set(program.tiers.tiers.map((t) => t.code));
  tiers?.forEach((t, i) => {
    if (!known.has(t)) throw new JifenError('VALIDATION_FAILED', `tier ${t} is not a tier of this program`, `tiers.${i}`);
  });
}

export async function listRewardsFor(deps: HqDeps, q: { programCode?: string; includeInactive?: boolean }): Promise<AdminRewardView[]> {
  const programId = q.programCode ? (await programFor(deps, q.programCode)).id : undefined;
  const rows = await catalogue.listRewards(deps.db.kysely, { programId, includeInactive: q.includeInactive });
  const issued = await catalogue.vouchersIssued(
    deps.db.kysely,
    rows.map((r) => r.id),
  );
  return rows.map((r) => presentReward(r, issued.get(r.id) ?? 0));
}

async function rewardView(deps: HqDeps, id: number): Promise<AdminRewardView> {
  const row = await catalogue.rewardWithProgram(deps.db.kysely, id);
  if (!row) throw new JifenError('REWARD_NOT_FOUND', `reward ${id} not found`);
  return presentReward(row, (await catalogue.vouchersIssued(deps.db.kysely, [id])).get(id) ?? 0);
}

/** Adds a reward to a program's catalogue. Throws PROGRAM_NOT_FOUND, VALIDATION_FAILED. */
export async function addReward(deps: HqDeps, actor: HqActor, req: CreateRewardRequest): Promise<AdminRewardView> {
  const now = deps.now();
  const program = await programFor(deps, req.programCode);
  checkTiers(program, req.tiers);
  const id = await createReward(deps.db, { ...req, programId: program.id }, now);
  const view = await rewardView(deps, id);
  await record(deps.db.kysely, actor, now, { action: 'reward.create', target: `reward:${id}`, after: view });
  return view;
}

/** Edits a reward; `addStock` composes with redemptions under way. Throws REWARD_NOT_FOUND, VALIDATION_FAILED, CONFIG_CONFLICT. */
export async function editReward(deps: HqDeps, actor: HqActor, id: number, req: UpdateRewardRequest): Promise<AdminRewardView> {
  const now = deps.now();
  const before = await rewardView(deps, id);
  const program = await programFor(deps, before.programCode);
  checkTiers(program, req.tiers);
  if (req.addStock !== undefined) {
    if (before.stock === null) throw new JifenError('CONFIG_CONFLICT', 'the reward has unlimited stock: set stock instead', 'addStock');
    if (!(await catalogue.addStock(deps.db.kysely, id, req.addStock, now)))
      throw new JifenError('VALIDATION_FAILED', 'the stock cannot go below zero', 'addStock');
  }
  await catalogue.updateReward(deps.db.kysely, id, {
    ...(req.name !== undefined ? { name: req.name } : {}),
    ...(req.description !== undefined ? { description: req.description } : {}),
    ...(req.pointsCost !== undefined ? { points_cost: req.pointsCost } : {}),
    ...(req.stock !== undefined ? { stock: req.stock } : {}),
    ...(req.perMemberLimit !== undefined ? { per_member_limit: req.perMemberLimit } : {}),
    ...(req.tiers !== undefined ? { tiers: JSON.stringify(req.tiers) } : {}),
    ...(req.sortOrder !== undefined ? { sort_order: req.sortOrder } : {}),
    updated_at: now,
  });
  const after = await rewardView(deps, id);
  await record(deps.db.kysely, actor, now, { action: 'reward.update', target: `reward:${id}`, before, after });
  return after;
}

export async function setRewardActive(deps: HqDeps, actor: HqActor, id: number, active: boolean): Promise<AdminRewardView> {
  const now = deps.now();
  const before = await rewardView(deps, id);
  if (before.active !== active) {
    await catalogue.updateReward(deps.db.kysely, id, { active: active ? 1 : 0, updated_at: now });
    await record(deps.db.kysely, actor, now, {
      action: active ? 'reward.activate' : 'reward.deactivate',
      target: `reward:${id}`,
      before: { active: before.active },
      after: { active },
    });
  }
  return rewardView(deps, id);
}

// ── Product-code batches ─────────────────────────────────────────────────────────────────────────

type BatchRowWithProgram = NonNullable<Awaited<ReturnType<typeof catalogue.batchWithProgram>>>;

function presentBatch(b: BatchRowWithProgram, claimed: number): CodeBatchView {
  return {
    batchId: b.id,
    programCode: b.program_code,
    sku: b.sku,
    name: b.name,
    points: b.points,
    count: b.code_count,
    claimed,
    status: b.status as CodeBatchView['status'],
    expiresAt: iso(b.expires_at),
    createdBy: b.created_by,
    createdAt: iso(b.created_at),
  };
}

export async function listBatches(deps: HqDeps): Promise<CodeBatchView[]> {
  const rows = await catalogue.listBatches(deps.db.kysely, 500);
  const claimed = await catalogue.claimsPerBatch(
    deps.db.kysely,
    rows.map((r) => r.id),
  );
  return rows.map((r) => presentBatch(r, claimed.get(r.id) ?? 0));
}

export async function batchView(deps: HqDeps, id: number): Promise<CodeBatchView> {
  const row = await catalogue.batchWithProgram(deps.db.kysely, id);
  if (!row) throw new JifenError('BATCH_NOT_FOUND', `batch ${id} not found`);
  return presentBatch(row, (await catalogue.claimsPerBatch(deps.db.kysely, [id])).get(id) ?? 0);
}

/** Creates a batch of N signed codes (the codes themselves are not stored). Throws VALIDATION_FAILED, PROGRAM_NOT_FOUND. */
export async function createBatch(
  deps: HqDeps & { codes: CodeSigner },
  actor: HqActor,
  req: CreateCodeBatchRequest,
): Promise<CodeBatchView> {
  const now = deps.now();
  const program = await programFor(deps, req.programCode);
  const { batchId } = await createProductCodeBatch(deps, {
    sku: req.sku,
    name: req.name,
    points: req.points,
    count: req.count,
    expiresAt: Date.parse(req.expiresAt),
    programId: program.id,
    createdBy: actorName(actor),
  });
  const view = await batchView(deps, batchId);
  await record(deps.db.kysely, actor, now, { action: 'codes.batch.create', target: `batch:${batchId}`, after: view });
  return view;
}

/** Withdraws a batch: its unclaimed codes answer CODE_VOID from now on. Throws BATCH_NOT_FOUND. */
export async function voidBatch(deps: HqDeps, actor: HqActor, id: number): Promise<CodeBatchView> {
  const before = await batchView(deps, id);
  if (before.status !== 'void') {
    await voidProductCodeBatch(deps.db, id);
    await record(deps.db.kysely, actor, deps.now(), {
      action: 'codes.batch.void',
      target: `batch:${id}`,
      before: { status: before.status },
      after: { status: 'void' },
    });
  }
  return batchView(deps, id);
}

const CSV_CHUNK = 1000;

/**
 * The batch's codes as CSV lines (serial, code, sku, points, expiry), generated from the batch id
 * and serial under the HMAC — nothing is read per code, so memory stays flat for any count. The
 * download is audited (the codes are worth points). Throws BATCH_NOT_FOUND.
 */
export async function batchCsv(
  deps: HqDeps & { codes: CodeSigner },
  actor: HqActor,
  id: number,
): Promise<{ filename: string; lines: AsyncIterable<string> }> {
  const batch = await findBatch(deps.db.kysely, id);
  if (!batch) throw new JifenError('BATCH_NOT_FOUND', `batch ${id} not found`);
  await record(deps.db.kysely, actor, deps.now(), {
    action: 'codes.batch.download',
    target: `batch:${id}`,
    after: { count: batch.code_count, status: batch.status },
  });
  const expires = iso(batch.expires_at);
  const sku = csvField(batch.sku);
  async function* lines(): AsyncIterable<string> {
    yield 'serial,code,sku,points,expires_at\n';
    for (let start = 0; start < batch!.code_count; start += CSV_CHUNK) {
      let chunk = '';
      const end = Math.min(batch!.code_count, start + CSV_CHUNK);
      for (let serial = start; serial < end; serial++)
        chunk += `${serial},${deps.codes.productCode(id, serial)},${sku},${batch!.points},${expires}\n`;
      yield chunk;
    }
  }
  return { filename: `codes-${id}.csv`, lines: lines() };
}

/** RFC 4180 quoting, and a leading quote for cells a spreadsheet would run as a formula. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
