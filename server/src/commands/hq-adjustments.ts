/**
 * Manual adjustments with a second pair of eyes: an adjustment of more points than the configured
 * threshold (JIFEN_ADJUST_APPROVAL_POINTS, either sign) is stored pending and posts only when another
 * staff member approves it — never the one who asked. Smaller ones post at once (adjustPoints). The
 * caller's idempotency key covers both paths: the same key again answers with the request's current
 * state (pending, or the posting once approved); the same key with other inputs is IDEMPOTENCY_CONFLICT.
 */
import { JifenError } from '@jifen/shared';
import type { AdjustmentRequest, PendingAdjustmentView } from '@jifen/shared';
import { isDuplicateKeyError } from '../db/dialect.js';
import { canonicalJson, sha256, sha256Hex } from '../lib/crypto.js';
import { newId } from '../lib/ids.js';
import * as repo from '../repositories/hq-adjustments.repository.js';
import type { AdjustmentRequestRow } from '../repositories/hq-adjustments.repository.js';
import { findProgramByCode } from '../repositories/org.repository.js';
import { adjustPoints } from './adjustments.js';
import type { PostingResult } from './ledger.js';
import { getMember } from './members.js';
import { actorName, iso, record } from './hq-common.js';
import type { HqActor, HqDeps } from './hq-common.js';

export type AdjustmentOutcome = { kind: 'posted'; posting: PostingResult } | { kind: 'pending'; request: PendingAdjustmentView };

export function presentAdjustment(r: AdjustmentRequestRow): PendingAdjustmentView {
  return {
    approvalId: r.id,
    memberId: r.member_id,
    programCode: r.program_code,
    points: r.points,
    reason: r.reason,
    idempotencyKey: r.idempotency_key,
    status: r.status as PendingAdjustmentView['status'],
    requestedBy: r.requested_by,
    requestedAt: iso(r.requested_at),
    decidedBy: r.decided_by,
    decidedAt: iso(r.decided_at),
    decisionReason: r.decision_reason,
    entryId: r.entry_id,
  };
}

function inputHash(memberId: number, req: AdjustmentRequest): string {
  return sha256Hex(canonicalJson({ memberId, programCode: req.programCode ?? null, points: req.points, reason: req.reason }));
}

function requestOf(r: AdjustmentRequestRow): AdjustmentRequest {
  return {
    points: r.points,
    reason: r.reason,
    idempotencyKey: r.idempotency_key,
    ...(r.program_code ? { programCode: r.program_code } : {}),
  };
}

/** The requester as the posting's actor (the approver is on the approval's audit row). */
function requesterOf(r: AdjustmentRequestRow, approver: HqActor) {
  return { staffId: r.requested_by_id, username: r.requested_by.replace(/^staff:/, ''), ip: approver.ip, requestId: approver.requestId };
}

async function answerFor(deps: HqDeps, existing: AdjustmentRequestRow, actor: HqActor): Promise<AdjustmentOutcome> {
  if (existing.status === 'approved') {
    // Replays the posting the approval made: the ledger answers from the stored entry.
    return { kind: 'posted', posting: await adjustPoints(deps, existing.member_id, requestOf(existing), requesterOf(existing, actor)) };
  }
  return { kind: 'pending', request: presentAdjustment(existing) };
}

/**
 * POST /api/admin/members/:id/adjustments. Throws MEMBER_NOT_FOUND, PROGRAM_NOT_FOUND,
 * POINTS_INSUFFICIENT, ACCOUNT_FROZEN (a debit on a frozen account), IDEMPOTENCY_CONFLICT.
 */
export async function requestAdjustment(
  deps: HqDeps & { approvalThreshold: number },
  actor: HqActor,
  memberId: number,
  req: AdjustmentRequest,
): Promise<AdjustmentOutcome> {
  const db = deps.db.kysely;
  const hash = inputHash(memberId, req);
  const existing = await repo.findAdjustmentRequestByKey(db, req.idempotencyKey);
  if (existing) {
    if (existing.input_hash !== hash)
      throw new JifenError('IDEMPOTENCY_CONFLICT', `idempotency key "${req.idempotencyKey}" was already used with other inputs`);
    return answerFor(deps, existing, actor);
  }
  if (Math.abs(req.points) <= deps.approvalThreshold) return { kind: 'posted', posting: await adjustPoints(deps, memberId, req, actor) };
  // A key already posted directly (below the threshold at the time) replays or conflicts in the ledger.
  if (await repo.ledgerEntryByIdem(db, sha256(`admin-adjust\u0000${req.idempotencyKey}`)))
    return { kind: 'posted', posting: await adjustPoints(deps, memberId, req, actor) };
  await getMember(deps.db, memberId);
  if (req.programCode && !(await findProgramByCode(db, req.programCode)))
    throw new JifenError('PROGRAM_NOT_FOUND', `program ${req.programCode} not found`, 'programCode');
  const now = deps.now();
  const row: AdjustmentRequestRow = {
    id: newId(),
    member_id: memberId,
    program_code: req.programCode ?? null,
    points: req.points,
    reason: req.reason,
    idempotency_key: req.idempotencyKey,
    input_hash: hash,
    status: 'pending',
    requested_by_id: actor.staffId,
    requested_by: actorName(actor),
    requested_at: now,
    decided_by: null,
    decided_at: null,
    decision_reason: null,
    entry_id: null,
  };
  try {
    await repo.insertAdjustmentRequest(db, row);
  } catch (e) {
    // The same request twice at once: the unique key keeps one, the other answers with it.
    if (!isDuplicateKeyError(e)) throw e;
    const twin = await repo.findAdjustmentRequestByKey(db, req.idempotencyKey);
    if (!twin) throw e;
    if (twin.input_hash !== hash)
      throw new JifenError('IDEMPOTENCY_CONFLICT', `idempotency key "${req.idempotencyKey}" was already used with other inputs`);
    return answerFor(deps, twin, actor);
  }
  await record(db, actor, now, {
    action: 'member.points.adjust.request',
    target: `member:${memberId}`,
    after: {
      approvalId: row.id,
      points: req.points,
      reason: req.reason,
      program: req.programCode ?? null,
      threshold: deps.approvalThreshold,
    },
  });
  return { kind: 'pending', request: presentAdjustment(row) };
}

export async function listAdjustments(
  deps: HqDeps,
  q: { status: string; memberId?: number; limit: number },
): Promise<PendingAdjustmentView[]> {
  return (await repo.listAdjustmentRequests(deps.db.kysely, q)).map(presentAdjustment);
}

async function load(deps: HqDeps, id: number): Promise<AdjustmentRequestRow> {
  const row = await repo.findAdjustmentRequest(deps.db.kysely, id);
  if (!row) throw new JifenError('ADJUSTMENT_NOT_FOUND', `adjustment request ${id} not found`);
  return row;
}

/**
 * A second staff member approves: the adjustment posts (idempotently, under the requester's key)
 * and the request is marked approved. Approving again answers the same posting.
 * Throws ADJUSTMENT_NOT_FOUND, ADJUSTMENT_NOT_PENDING (rejected), SECOND_APPROVER_REQUIRED,
 * POINTS_INSUFFICIENT / ACCOUNT_FROZEN (the request then stays pending).
 */
export async function approveAdjustment(
  deps: HqDeps,
  actor: HqActor,
  id: number,
): Promise<{ posting: PostingResult; request: PendingAdjustmentView }> {
  const row = await load(deps, id);
  if (row.status === 'rejected') throw new JifenError('ADJUSTMENT_NOT_PENDING', `adjustment request ${id} was rejected`);
  if (row.status === 'pending' && row.requested_by_id === actor.staffId)
    throw new JifenError('SECOND_APPROVER_REQUIRED', 'another staff member must approve this adjustment');
  const posting = await adjustPoints(deps, row.member_id, requestOf(row), requesterOf(row, actor));
  const now = deps.now();
  if (
    await repo.decideAdjustmentRequest(deps.db.kysely, id, {
      status: 'approved',
      decided_by: actorName(actor),
      decided_at: now,
      entry_id: posting.entryId,
    })
  ) {
    await record(deps.db.kysely, actor, now, {
      action: 'member.points.adjust.approve',
      target: `member:${row.member_id}`,
      before: { approvalId: id, status: 'pending', requestedBy: row.requested_by },
      after: { approvalId: id, status: 'approved', entryId: posting.entryId, points: row.points, balance: posting.available },
    });
  }
  return { posting, request: presentAdjustment((await repo.findAdjustmentRequest(deps.db.kysely, id))!) };
}

/** Rejects (or, for the requester, withdraws) a pending request; nothing posts. Throws ADJUSTMENT_NOT_FOUND, ADJUSTMENT_NOT_PENDING. */
export async function rejectAdjustment(deps: HqDeps, actor: HqActor, id: number, reason: string): Promise<PendingAdjustmentView> {
  const row = await load(deps, id);
  if (row.status !== 'pending') throw new JifenError('ADJUSTMENT_NOT_PENDING', `adjustment request ${id} is ${row.status}`);
  const now = deps.now();
  if (
    !(await repo.decideAdjustmentRequest(deps.db.kysely, id, {
      status: 'rejected',
      decided_by: actorName(actor),
      decided_at: now,
      decision_reason: reason,
    }))
  )
    throw new JifenError('ADJUSTMENT_NOT_PENDING', `adjustment request ${id} was decided meanwhile`);
  await record(deps.db.kysely, actor, now, {
    action: 'member.points.adjust.reject',
    target: `member:${row.member_id}`,
    before: { approvalId: id, status: 'pending' },
    after: { approvalId: id, status: 'rejected', reason },
  });
  return presentAdjustment((await repo.findAdjustmentRequest(deps.db.kysely, id))!);
}
