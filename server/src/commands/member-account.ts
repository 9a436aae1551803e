/**
 * The member's own view of their points: the card (tier, progress, balances, expiring points), the
 * member code the cashier scans, the paged history, and what they answered to subscribe prompts.
 */
import { JifenError, formatYuan, progressToNext, toIsoUtc } from '@jifen/shared';
import type { HistoryEntry, HistoryPage, MemberCodeResponse, MemberMe, SubscriptionsRequest, SubscriptionsResponse } from '@jifen/shared';
import * as activity from '../repositories/member-activity.repository.js';
import type { HistoryRow } from '../repositories/member-activity.repository.js';
import { ensureAccount } from '../repositories/member.repository.js';
import type { MemberRow } from '../repositories/member.repository.js';
import { findProgramByCode } from '../repositories/org.repository.js';
import { ruleSetInForce } from '../repositories/rules.repository.js';
import { loadDefaultProgram } from './members.js';
import { lowestTier, programConfig, ruleSetOf, tierName } from './programs.js';
import type { ProgramConfig } from './programs.js';
import { presentProfile } from './member-session.js';
import type { MemberApiDeps } from './member-session.js';
import { ROLLING_WINDOW_MS } from './tiers.js';

const EXPIRING_WINDOW_MS = 30 * 86_400_000;
/** The member code is re-fetched this often; it stays valid for MEMBER_CODE_TTL_MS (60 s). */
export const MEMBER_CODE_REFRESH_SECONDS = 30;

function iso(ms: number | null): string | null {
  return ms === null ? null : toIsoUtc(ms);
}

/**
 * Tier progress. Upgrades follow growth over the rolling 12 months; a member who keeps a tier
 * through its retention period may hold a tier above that growth, so progress is measured to the
 * tier above the one held, never to the one they already have.
 */
export function progressOf(program: ProgramConfig, tierCode: string, growth: number, growthPerYuan: number): MemberMe['progress'] {
  const tiers = program.tiers.tiers;
  const held = tiers.findIndex((t) => t.code === tierCode);
  const p = progressToNext(program.tiers, growth, growthPerYuan);
  const nextIndex = p.next ? tiers.findIndex((t) => t.code === p.next!.code) : -1;
  if (!p.next || nextIndex > held) {
    return { text: p.text, next: p.next ? { code: p.next.code, name: p.next.name } : null, fenNeeded: p.next ? p.fenNeeded : null };
  }
  const next = tiers[held + 1];
  if (!next) return { text: '已是最高等级', next: null, fenNeeded: null };
  const needed = next.minGrowth - growth;
  if (growthPerYuan === 0)
    return { text: `还需成长值${needed}升级${next.name}会员`, next: { code: next.code, name: next.name }, fenNeeded: null };
  const fenNeeded = Math.ceil((needed * 100) / growthPerYuan);
  return { text: `再消费${formatYuan(fenNeeded)}升级${next.name}会员`, next: { code: next.code, name: next.name }, fenNeeded };
}

/** The member card. Throws PROGRAM_NOT_FOUND. */
export async function memberMe(deps: MemberApiDeps, member: MemberRow): Promise<MemberMe> {
  const now = deps.now();
  const db = deps.db.kysely;
  const program = await loadDefaultProgram(deps.db);
  const account = await ensureAccount(db, member.id, program.id, lowestTier(program), now);
  const growth = Math.max(0, await activity.growthSince(db, account.id, now - ROLLING_WINDOW_MS));
  const rules = ruleSetOf(await ruleSetInForce(db, program.id, null, now)).rules;
  const expiring = await activity.expiringSoon(db, account.id, now, now + EXPIRING_WINDOW_MS);
  const profile = await presentProfile(deps, member);
  return {
    ...profile,
    tier: { code: account.tier_code, name: tierName(program, account.tier_code) },
    points: {
      balance: account.available,
      pending: account.pending,
      expiringSoon: expiring.points,
      expiringSoonDate: iso(expiring.first),
    },
    progress: progressOf(program, account.tier_code, growth, rules.growthPerYuan),
    growth,
  };
}

export function memberCode(deps: MemberApiDeps, member: MemberRow): MemberCodeResponse {
  const { code, expiresAt } = deps.codes.memberCode(member.id, deps.now());
  return { code, expiresAt: toIsoUtc(expiresAt), refreshAfterSeconds: MEMBER_CODE_REFRESH_SECONDS };
}

export function presentEntry(r: HistoryRow): HistoryEntry {
  const points = r.points + r.pending_delta;
  const pending = r.pending_delta > 0 && r.lot_status === 'pending';
  return {
    id: r.id,
    kind: r.kind,
    points,
    pending,
    reason: r.reason,
    createdAt: toIsoUtc(r.created_at),
    releaseAt: pending ? iso(r.release_at) : null,
    expiresAt: points > 0 ? iso(r.expires_at) : null,
  };
}

function parseCursor(cursor: string): { createdAt: number; seq: number } {
  const m = /^([0-9a-z]{1,11})\.([0-9a-z]{1,11})$/.exec(cursor);
  const createdAt = m ? parseInt(m[1]!, 36) : NaN;
  const seq = m ? parseInt(m[2]!, 36) : NaN;
  if (!Number.isSafeInteger(createdAt) || !Number.isSafeInteger(seq))
    throw new JifenError('VALIDATION_FAILED', 'cursor: not a cursor this server gave', 'cursor');
  return { createdAt, seq };
}

/** One page of the member's points history, newest first. Throws VALIDATION_FAILED (cursor), PROGRAM_NOT_FOUND. */
export async function memberHistory(
  deps: MemberApiDeps,
  member: MemberRow,
  query: { cursor?: string | undefined; limit: number; program?: string | undefined },
): Promise<HistoryPage> {
  const db = deps.db.kysely;
  let program: ProgramConfig;
  if (query.program) {
    const row = await findProgramByCode(db, query.program);
    if (!row) throw new JifenError('PROGRAM_NOT_FOUND', `program ${query.program} not found`, 'program');
    program = programConfig(row);
  } else {
    program = await loadDefaultProgram(deps.db);
  }
  const before = query.cursor ? parseCursor(query.cursor) : null;
  const account = await ensureAccount(db, member.id, program.id, lowestTier(program), deps.now());
  const rows = await activity.historyPage(db, account.id, before, query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    entries: page.map(presentEntry),
    nextCursor: rows.length > query.limit && last ? `${last.created_at.toString(36)}.${last.entry_seq.toString(36)}` : null,
  };
}

/** Counts each answer of a requestSubscribeMessage prompt; WeChat itself enforces the one-time sends. */
export async function recordSubscriptions(
  deps: MemberApiDeps,
  member: MemberRow,
  req: SubscriptionsRequest,
): Promise<SubscriptionsResponse> {
  const now = deps.now();
  for (const r of req.results) await activity.countSubscription(deps.db.kysely, member.id, r.kind, r.accepted, now);
  return subscriptionsOf(deps, member);
}

export async function subscriptionsOf(deps: MemberApiDeps, member: MemberRow): Promise<SubscriptionsResponse> {
  const rows = await activity.subscriptionsOf(deps.db.kysely, member.id);
  return {
    subscriptions: rows.map((r) => ({ kind: r.kind as 'points_arrived' | 'points_expiring', accepted: r.accepted, rejected: r.rejected })),
  };
}
