/**
 * Earning rules and campaigns for HQ: rule-set drafts (validated with the shared RuleSetSchema),
 * publishing a draft as the next immutable version of its program's (or brand's) rules from a
 * given instant, and back-testing a draft against the orders of a past period.
 */
import { JifenError, RuleSetSchema, chinaDate, chinaDayStart, evaluateEarning, parseOrThrow, toIsoUtc } from '@jifen/shared';
import type {
  BacktestFigures,
  BacktestReport,
  BacktestRequest,
  CreateRuleDraftRequest,
  DraftView,
  OrderLine,
  RuleSet,
} from '@jifen/shared';
import { inTransaction, isDuplicateKeyError } from '../db/dialect.js';
import { newId } from '../lib/ids.js';
import * as config from '../repositories/hq-config.repository.js';
import type { DraftRow } from '../repositories/hq-config.repository.js';
import { brandByCode, programByCode } from '../repositories/hq-org.repository.js';
import * as rulesRepo from '../repositories/hq-rules.repository.js';
import { findProgramById } from '../repositories/org.repository.js';
import { findRuleSet, insertRuleSet, latestVersion, ruleSetInForce } from '../repositories/rules.repository.js';
import { actorName, iso, record } from './hq-common.js';
import type { HqActor, HqDeps } from './hq-common.js';
import { getDraft, presentDraft } from './hq-config.js';
import { loadRuleSet, lowestTier, programConfig, tierName } from './programs.js';
import type { ProgramConfig } from './programs.js';

const RULES = ['rules'] as const;
const DAY_MS = 86_400_000;
/** Publishing "now" tolerates this much clock difference between the client and the server. */
const PAST_TOLERANCE_MS = 60_000;

interface Scope {
  programId: number;
  programCode: string;
  brandId: number | null;
  brandCode: string | null;
}

/** `PROGRAM` or `PROGRAM/BRAND`: a draft's target. Throws PROGRAM_NOT_FOUND, BRAND_NOT_FOUND. */
async function resolveScope(deps: HqDeps, programCode: string, brandCode: string | null | undefined): Promise<Scope> {
  const program = await programByCode(deps.db.kysely, programCode);
  if (!program) throw new JifenError('PROGRAM_NOT_FOUND', `program ${programCode} not found`, 'programCode');
  if (!brandCode) return { programId: program.id, programCode, brandId: null, brandCode: null };
  const brand = await brandByCode(deps.db.kysely, brandCode);
  if (!brand || brand.program_id !== program.id)
    throw new JifenError('BRAND_NOT_FOUND', `brand ${brandCode} not found in program ${programCode}`, 'brandCode');
  return { programId: program.id, programCode, brandId: brand.id, brandCode };
}

function scopeOfTarget(deps: HqDeps, target: string): Promise<Scope> {
  const [programCode, brandCode] = target.split('/') as [string, string | undefined];
  return resolveScope(deps, programCode, brandCode);
}

/** Opens a rules draft for a program or one brand. Throws VALIDATION_FAILED, PROGRAM_NOT_FOUND, BRAND_NOT_FOUND. */
export async function createRuleDraft(deps: HqDeps, actor: HqActor, req: CreateRuleDraftRequest): Promise<DraftView> {
  const now = deps.now();
  const scope = await resolveScope(deps, req.programCode, req.brandCode);
  const target = scope.brandCode ? `${scope.programCode}/${scope.brandCode}` : scope.programCode;
  const row: DraftRow = {
    id: newId(),
    kind: 'rules',
    target,
    status: 'draft',
    base_version: await latestVersion(deps.db.kysely, scope.programId, scope.brandId ?? 0),
    version: null,
    body: JSON.stringify(req.rules),
    created_by: actorName(actor),
    created_at: now,
    updated_at: now,
    published_by: null,
    published_at: null,
    effective_from: null,
    published_ref: null,
  };
  await config.insertDraft(deps.db.kysely, row);
  await record(deps.db.kysely, actor, now, {
    action: 'rules.draft.create',
    target: `rules:${target}`,
    after: { draftId: row.id, rules: req.rules },
  });
  return presentDraft(row);
}

/** Replaces a draft's rules. Throws DRAFT_NOT_FOUND, DRAFT_NOT_EDITABLE. */
export async function updateRuleDraft(deps: HqDeps, actor: HqActor, id: number, rules: RuleSet): Promise<DraftView> {
  const now = deps.now();
  const row = await getDraft(deps, id, RULES);
  if (row.status !== 'draft') throw new JifenError('DRAFT_NOT_EDITABLE', `draft ${id} is ${row.status}: published versions never change`);
  const body = JSON.stringify(rules);
  if (!(await config.updateDraftIfOpen(deps.db.kysely, id, { body, updated_at: now })))
    throw new JifenError('DRAFT_NOT_EDITABLE', `draft ${id} was published or discarded meanwhile`);
  await record(deps.db.kysely, actor, now, {
    action: 'rules.draft.update',
    target: `rules:${row.target}`,
    before: { draftId: id, rules: JSON.parse(row.body) as unknown },
    after: { draftId: id, rules },
  });
  return presentDraft({ ...row, body, updated_at: now });
}

/**
 * Publishes a rules draft as the next version of its scope, in force from `effectiveFrom` (default
 * now). Orders placed before keep the version they were placed under. The draft and the new version
 * are written with the audit row in one transaction.
 * Throws DRAFT_NOT_FOUND, DRAFT_NOT_EDITABLE, DRAFT_STALE, VALIDATION_FAILED (effectiveFrom in the past).
 */
export async function publishRuleDraft(deps: HqDeps, actor: HqActor, id: number, effectiveFrom?: string): Promise<DraftView> {
  const now = deps.now();
  const from = effectiveFrom ? Date.parse(effectiveFrom) : now;
  if (from < now - PAST_TOLERANCE_MS) throw new JifenError('VALIDATION_FAILED', 'effectiveFrom must not be in the past', 'effectiveFrom');
  const draft = await getDraft(deps, id, RULES);
  const scope = await scopeOfTarget(deps, draft.target);
  try {
    return await inTransaction(deps.db, async (trx) => {
      const row = await config.lockDraft(trx, deps.db.dialect, id);
      if (!row) throw new JifenError('DRAFT_NOT_FOUND', `draft ${id} not found`);
      if (row.status !== 'draft') throw new JifenError('DRAFT_NOT_EDITABLE', `draft ${id} is ${row.status}`);
      const latest = await latestVersion(trx, scope.programId, scope.brandId ?? 0);
      if (latest !== row.base_version)
        throw new JifenError('DRAFT_STALE', `version ${latest} was published after this draft was opened from version ${row.base_version}`);
      const rules = parseOrThrow(RuleSetSchema, JSON.parse(row.body), 'rules');
      const ruleSetId = newId();
      const version = latest + 1;
      await insertRuleSet(trx, {
        id: ruleSetId,
        program_id: scope.programId,
        brand_id: scope.brandId ?? 0,
        version,
        rules: JSON.stringify(rules),
        status: 'published',
        effective_from: from,
        created_at: now,
        created_by: actorName(actor),
      });
      const patch = {
        status: 'published',
        version,
        published_by: actorName(actor),
        published_at: now,
        effective_from: from,
        published_ref: ruleSetId,
        updated_at: now,
      };
      await config.updateDraftIfOpen(trx, id, patch);
      await record(trx, actor, now, {
        action: 'rules.publish',
        target: `rules:${row.target}`,
        before: { version: latest },
        after: { version, ruleSetId, draftId: id, effectiveFrom: iso(from) },
      });
      return presentDraft({ ...row, ...patch });
    });
  } catch (e) {
    // Another version of the same scope was published at the same moment: the unique version decides.
    if (isDuplicateKeyError(e)) throw new JifenError('DRAFT_STALE', 'another version of these rules was published at the same time');
    throw e;
  }
}

export async function listRuleVersions(deps: HqDeps, q: { programCode?: string; brandCode?: string }) {
  const db = deps.db.kysely;
  let programId: number | undefined;
  let brandId: number | undefined;
  if (q.programCode) programId = (await resolveScope(deps, q.programCode, q.brandCode)).programId;
  if (q.brandCode) {
    const brand = await brandByCode(db, q.brandCode);
    if (!brand) throw new JifenError('BRAND_NOT_FOUND', `brand ${q.brandCode} not found`, 'brandCode');
    brandId = brand.id;
  }
  const rows = await rulesRepo.listRuleSets(db, { programId, brandId });
  const now = deps.now();
  const inForce = new Set<number>();
  for (const key of new Set(rows.map((r) => `${r.program_id}:${r.brand_id}`))) {
    const [p, b] = key.split(':').map(Number) as [number, number];
    const row = await ruleSetInForce(db, p, b === 0 ? null : b, now);
    if (row && row.brand_id === b) inForce.add(row.id);
  }
  const programs = new Map<number, string>();
  const brands = new Map<number, string>();
  for (const r of rows) {
    if (!programs.has(r.program_id)) programs.set(r.program_id, (await findProgramById(db, r.program_id))?.code ?? String(r.program_id));
    if (r.brand_id !== 0 && !brands.has(r.brand_id)) {
      const b = await db.selectFrom('brand').select('code').where('id', '=', r.brand_id).executeTakeFirst();
      brands.set(r.brand_id, b?.code ?? String(r.brand_id));
    }
  }
  return rows.map((r) => ({
    ruleSetId: r.id,
    programCode: programs.get(r.program_id) ?? '',
    brandCode: r.brand_id === 0 ? null : (brands.get(r.brand_id) ?? null),
    version: r.version,
    status: r.status,
    inForce: inForce.has(r.id),
    effectiveFrom: iso(r.effective_from),
    createdAt: iso(r.created_at),
    createdBy: r.created_by,
  }));
}

export async function getRuleVersion(deps: HqDeps, id: number) {
  const row = await findRuleSet(deps.db.kysely, id);
  if (!row) throw new JifenError('RULESET_NOT_FOUND', `rule set ${id} not found`);
  return {
    ruleSetId: row.id,
    version: row.version,
    status: row.status,
    effectiveFrom: iso(row.effective_from),
    createdAt: iso(row.created_at),
    createdBy: row.created_by,
    rules: JSON.parse(row.rules) as unknown,
  };
}

// ── Back-testing ─────────────────────────────────────────────────────────────────────────────────

export const BACKTEST_APPROXIMATIONS = [
  'Orders placed in the period (China dates, inclusive) that were paid, with a member; refunds are ignored (each order as placed).',
  'Each order is replayed twice with the shared engine: under the rule set it settled with (current) and under the draft. A program-wide draft replaces the rules of orders that settled under program-wide rules; orders under a brand’s own rules keep them. A brand draft replaces that brand’s rules only.',
  'The member’s tier at the time of the order is read from the tier history (the tier before the first later change, else the current tier); the birthday is today’s.',
  '“First purchase” is the member’s first paid order in the program.',
  'The daily cap counts only the purchase points replayed in this back-test (in order, per member and China day, per scenario); with a brand filter, other brands’ orders of that day are not counted.',
  'issuedPoints is what the orders really earned; compare draftPoints with currentPoints, which carry the same approximations.',
  'Cost = points × the program’s point value (fen per 100 points) ÷ 100, rounded down per row.',
];

const PAGE = 500;
const DEFAULT_RULES = RuleSetSchema.parse({});

interface MemberState {
  birthday: string | null;
  accountTier: string;
  changes: Array<{ from: string | null; to: string; at: number }>;
  firstPaidAt: number | undefined;
}

function tierAt(state: MemberState, at: number, program: ProgramConfig): string {
  let tier: string | null = null;
  for (const c of state.changes) if (c.at <= at) tier = c.to;
  if (tier) return tier;
  const first = state.changes[0];
  if (first) return first.from ?? lowestTier(program);
  return state.accountTier || lowestTier(program);
}

function emptyFigures(): BacktestFigures {
  return {
    orders: 0,
    issuedPoints: 0,
    currentPoints: 0,
    draftPoints: 0,
    deltaPoints: 0,
    currentCostFen: 0,
    draftCostFen: 0,
    deltaCostFen: 0,
  };
}

/**
 * Replays a period's paid orders under a rules draft and under the rules each order settled with,
 * and reports per brand per China day the points and their cost at the point value.
 * Throws DRAFT_NOT_FOUND, BRAND_NOT_FOUND, VALIDATION_FAILED.
 */
export async function backtestRuleDraft(deps: HqDeps, draftId: number, req: BacktestRequest): Promise<BacktestReport> {
  const db = deps.db.kysely;
  const draft = await getDraft(deps, draftId, RULES);
  const scope = await scopeOfTarget(deps, draft.target);
  const programRow = await findProgramById(db, scope.programId);
  if (!programRow) throw new JifenError('PROGRAM_NOT_FOUND', `program ${scope.programCode} not found`);
  const program = programConfig(programRow);
  const draftRules = parseOrThrow(RuleSetSchema, JSON.parse(draft.body), 'rules');
  let brandFilter: number | undefined;
  if (req.brandCode) brandFilter = (await resolveScope(deps, scope.programCode, req.brandCode)).brandId ?? undefined;
  if (scope.brandId !== null && brandFilter === undefined) brandFilter = scope.brandId;

  const codes = await rulesRepo.codesOfProgram(db, scope.programId);
  const storeCode = new Map(codes.map((c) => [c.store_id, c.store_code]));
  const brandCode = new Map(codes.map((c) => [c.brand_id, c.brand_code]));
  const ruleBrand = new Map<number, number>();
  const rows = new Map<string, BacktestFigures>();
  const earnedToday = { current: new Map<string, number>(), draft: new Map<string, number>() };
  const from = Date.parse(chinaDayStart(`${req.from}T12:00:00+08:00`));
  const to = Date.parse(chinaDayStart(`${req.to}T12:00:00+08:00`)) + DAY_MS;

  let after: { placedAt: number; id: number } | null = null;
  for (;;) {
    const page = await rulesRepo.paidOrdersPage(db, { programId: scope.programId, brandId: brandFilter, from, to, after, limit: PAGE });
    if (page.length === 0) break;
    const last = page[page.length - 1]!;
    after = { placedAt: last.placed_at, id: last.id };
    const memberIds = [...new Set(page.map((o) => o.member_id as number))];
    const states = await memberStates(deps, scope.programId, memberIds);
    const unknownRuleSets = [...new Set(page.map((o) => o.rule_set_id).filter((id): id is number => id !== null && !ruleBrand.has(id)))];
    for (const r of await rulesRepo.ruleSetScopes(db, unknownRuleSets)) ruleBrand.set(r.id, r.brand_id);

    for (const order of page) {
      const state = states.get(order.member_id as number);
      if (!state) continue;
      const currentRules = order.rule_set_id === null ? DEFAULT_RULES : (await loadRuleSet(db, order.rule_set_id)).rules;
      const settledBrand = order.rule_set_id === null ? 0 : (ruleBrand.get(order.rule_set_id) ?? 0);
      const draftApplies = scope.brandId === null ? settledBrand === 0 : order.brand_id === scope.brandId;
      const day = chinaDate(toIsoUtc(order.placed_at));
      const tier = tierAt(state, order.placed_at, program);
      const base = {
        lines: (JSON.parse(order.lines) as OrderLine[]).map((l) => ({ ...l, discountFen: l.discountFen ?? 0 })),
        couponFen: order.coupon_fen,
        pointsPaidFen: order.points_paid_fen,
        brandCode: brandCode.get(order.brand_id) ?? String(order.brand_id),
        storeCode: storeCode.get(order.store_id) ?? String(order.store_id),
        placedAt: toIsoUtc(order.placed_at),
      };
      const evaluate = (rules: RuleSet, scenario: 'current' | 'draft'): number | null => {
        const key = `${order.member_id}:${day}`;
        const today = earnedToday[scenario].get(key) ?? 0;
        try {
          const result = evaluateEarning(rules, {
            ...base,
            member: {
              tierCode: tier,
              tierName: tierName(program, tier),
              ...(state.birthday ? { birthday: state.birthday } : {}),
              isFirstPurchase: state.firstPaidAt !== undefined && order.placed_at <= state.firstPaidAt,
              pointsAlreadyEarnedToday: today,
            },
          });
          earnedToday[scenario].set(key, today + result.points);
          return result.points;
        } catch {
          return null;
        }
      };
      const current = evaluate(currentRules, 'current');
      const drafted = evaluate(draftApplies ? draftRules : currentRules, 'draft');
      if (current === null || drafted === null) continue;
      const rowKey = `${day}\u0000${base.brandCode}`;
      const fig = rows.get(rowKey) ?? emptyFigures();
      fig.orders += 1;
      fig.issuedPoints += order.points_earned;
      fig.currentPoints += current;
      fig.draftPoints += drafted;
      rows.set(rowKey, fig);
    }
    if (page.length < PAGE) break;
  }

  const cost = (points: number) => Math.floor((points * program.pointValueFen) / 100);
  const finish = (f: BacktestFigures): BacktestFigures => {
    f.deltaPoints = f.draftPoints - f.currentPoints;
    f.currentCostFen = cost(f.currentPoints);
    f.draftCostFen = cost(f.draftPoints);
    f.deltaCostFen = f.draftCostFen - f.currentCostFen;
    return f;
  };
  const totals = emptyFigures();
  const out = [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, f]) => {
      const [date, brand] = key.split('\u0000') as [string, string];
      totals.orders += f.orders;
      totals.issuedPoints += f.issuedPoints;
      totals.currentPoints += f.currentPoints;
      totals.draftPoints += f.draftPoints;
      return { date, brandCode: brand, ...finish(f) };
    });
  return {
    draftId,
    scope: { programCode: scope.programCode, brandCode: scope.brandCode },
    from: req.from,
    to: req.to,
    pointValueFen: program.pointValueFen,
    rows: out,
    totals: finish(totals),
    approximations: BACKTEST_APPROXIMATIONS,
  };
}

async function memberStates(deps: HqDeps, programId: number, memberIds: number[]): Promise<Map<number, MemberState>> {
  const db = deps.db.kysely;
  const [members, accounts, firsts] = [
    await rulesRepo.membersForBacktest(db, memberIds),
    await rulesRepo.accountsForBacktest(db, programId, memberIds),
    await rulesRepo.firstPaidOrderAt(db, programId, memberIds),
  ];
  const accountOf = new Map(accounts.map((a) => [a.member_id, a]));
  const changes = new Map<number, MemberState['changes']>();
  for (const c of await rulesRepo.tierChanges(
    db,
    accounts.map((a) => a.id),
  )) {
    const list = changes.get(c.account_id) ?? [];
    list.push({ from: c.from_code, to: c.to_code, at: c.created_at });
    changes.set(c.account_id, list);
  }
  const states = new Map<number, MemberState>();
  for (const m of members) {
    const account = accountOf.get(m.id);
    states.set(m.id, {
      birthday: m.birthday,
      accountTier: account?.tier_code ?? '',
      changes: account ? (changes.get(account.id) ?? []) : [],
      firstPaidAt: firsts.get(m.id),
    });
  }
  return states;
}
