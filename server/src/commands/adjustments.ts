/**
 * Manual adjustments by HQ staff: a signed number of points with a reason, idempotent by the
 * caller's key, and recorded in the audit log with who, when, and the balances before and after.
 */
import { JifenError } from '@jifen/shared';
import type { AdjustmentRequest } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { appendAudit } from '../repositories/audit.repository.js';
import * as members from '../repositories/member.repository.js';
import { findProgramByCode } from '../repositories/org.repository.js';
import { credit, debit } from './ledger.js';
import type { PostingResult } from './ledger.js';
import { getMember, loadDefaultProgram } from './members.js';
import { expiryFor, lowestTier, programConfig } from './programs.js';

export interface Actor {
  staffId: number;
  username: string;
  ip?: string | null;
  requestId?: string | null;
}

/**
 * Throws MEMBER_NOT_FOUND, PROGRAM_NOT_FOUND, POINTS_INSUFFICIENT (a debit beyond the balance),
 * IDEMPOTENCY_CONFLICT (the key was used with other inputs).
 */
export async function adjustPoints(
  deps: { db: Db; now?: () => number },
  memberId: number,
  req: AdjustmentRequest,
  actor: Actor,
): Promise<PostingResult> {
  const now = (deps.now ?? Date.now)();
  const member = await getMember(deps.db, memberId);
  const programRow = req.programCode ? await findProgramByCode(deps.db.kysely, req.programCode) : undefined;
  if (req.programCode && !programRow) throw new JifenError('PROGRAM_NOT_FOUND', `program ${req.programCode} not found`, 'programCode');
  const program = programRow ? programConfig(programRow) : await loadDefaultProgram(deps.db);
  const account = await members.ensureAccount(deps.db.kysely, member.id, program.id, lowestTier(program), now);
  const before = { available: account.available, pending: account.pending };
  const idem = {
    source: 'admin-adjust',
    key: req.idempotencyKey,
    fingerprint: { memberId: member.id, program: program.code, points: req.points, reason: req.reason },
  };
  const actorName = `staff:${actor.username}`;
  const result =
    req.points > 0
      ? await credit({ db: deps.db, now: () => now }, idem, {
          accountId: account.id,
          points: req.points,
          kind: 'adjust',
          expiresAt: expiryFor(program, now),
          reason: req.reason,
          actor: actorName,
        })
      : await debit({ db: deps.db, now: () => now }, idem, {
          accountId: account.id,
          points: -req.points,
          kind: 'adjust',
          reason: req.reason,
          actor: actorName,
        });
  if (!result.replayed) {
    await appendAudit(deps.db.kysely, {
      actor: actorName,
      action: 'member.points.adjust',
      target: `member:${member.id}`,
      before,
      after: {
        available: result.available,
        pending: result.pending,
        points: req.points,
        reason: req.reason,
        entryId: result.entryId,
        program: program.code,
      },
      ip: actor.ip ?? null,
      requestId: actor.requestId ?? null,
      at: now,
    });
  }
  return result;
}
