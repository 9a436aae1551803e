/**
 * (f) Campaign cost and uplift. The points a campaign gave are read from the rules trace stored on
 * each earn entry (`{ rule: 'campaign', points, text: '<name> +<points>' }`, the engine's own line),
 * matched to the campaign of the order's pinned rule set by that text. Cost is those points at the
 * program's point value. Uplift compares the paid orders and their amount during the campaign's
 * window (clipped to the report's range, in whole China days) with a window of the same length just
 * before it, at the brands and stores the campaign applies to.
 *
 * The points are what the campaign line added before any cap cut the order's total; reversals by
 * refunds are not netted (the inflation report shows those).
 */
import { RuleSetSchema } from '@jifen/shared';
import type { Kysely } from 'kysely';
import type { DialectName } from '../db/connect.js';
import type { Trx } from '../db/dialect.js';
import { num } from '../db/dialect.js';
import type { Database } from '../db/schema.js';
import * as repo from '../repositories/report.repository.js';
import type { CampaignDayRow } from '../repositories/report.repository.js';
import { collect, dateOfDay, header, percent, pointsValueFen, programCode } from './reports.js';
import type { Report, ReportContext, Row } from './reports.js';

type Q = Kysely<Database> | Trx;

interface CampaignDef {
  programId: number;
  id: string;
  name: string;
  /** The rule set's brand (0: program-wide). */
  ruleSetBrandId: number;
  startsAt: number;
  endsAt: number;
  brandCodes?: string[];
  storeCodes?: string[];
}

/** Campaigns of every published rule set by id: `${ruleSetId}` → its campaigns. */
async function campaignsByRuleSet(db: Q, programIds?: readonly number[]): Promise<Map<number, CampaignDef[]>> {
  const ids = programIds ?? (await db.selectFrom('program').select('id').execute()).map((p) => p.id);
  const out = new Map<number, CampaignDef[]>();
  for (const rs of await repo.publishedRuleSets(db, ids)) {
    const parsed = RuleSetSchema.safeParse(JSON.parse(rs.rules));
    if (!parsed.success) continue;
    out.set(
      rs.id,
      parsed.data.campaigns.map((c) => ({
        programId: rs.program_id,
        id: c.id,
        name: c.name,
        ruleSetBrandId: rs.brand_id,
        startsAt: Date.parse(c.startsAt),
        endsAt: Date.parse(c.endsAt),
        ...(c.brandCodes ? { brandCodes: c.brandCodes } : {}),
        ...(c.storeCodes ? { storeCodes: c.storeCodes } : {}),
      })),
    );
  }
  return out;
}

interface TraceStep {
  rule?: string;
  points?: number;
  text?: string;
}

/** The campaign lines of one trace, attributed to campaign ids of its rule set. */
function campaignSteps(trace: string | null, campaigns: CampaignDef[] | undefined): Array<{ id: string; points: number }> {
  if (!trace) return [];
  let steps: TraceStep[];
  try {
    steps = (JSON.parse(trace) as { steps?: TraceStep[] }).steps ?? [];
  } catch {
    return [];
  }
  const out: Array<{ id: string; points: number }> = [];
  for (const s of steps) {
    if (s.rule !== 'campaign' || typeof s.points !== 'number' || typeof s.text !== 'string') continue;
    const label = s.text.replace(/ \+\d+$/, '');
    const match = campaigns?.find((c) => s.text === `${c.name} +${s.points}`) ?? campaigns?.find((c) => c.name === label);
    out.push({ id: match?.id ?? `?${label}`.slice(0, 64), points: s.points });
  }
  return out;
}

/**
 * Campaign points per day, program, campaign, brand and store for earn entries of [fromMs, toMs):
 * the rollup's summary rows, also computed live for the days after its watermark. Rule sets are
 * read first: the connection is busy while the entries stream.
 */
export async function campaignDayRows(db: Q, dialect: DialectName, fromMs: number, toMs: number): Promise<CampaignDayRow[]> {
  const byRuleSet = await campaignsByRuleSet(db);
  const acc = new Map<string, CampaignDayRow>();
  for await (const e of repo.campaignTraces(db, dialect, fromMs, toMs).stream(256)) {
    const steps = campaignSteps(e.trace, e.rule_set_id === null ? undefined : byRuleSet.get(Number(e.rule_set_id)));
    const day = repo.dayOfMs(Number(e.created_at));
    for (const s of steps) {
      const row: CampaignDayRow = {
        day,
        program_id: Number(e.program_id),
        campaign_id: s.id,
        brand_id: Number(e.brand_id ?? 0),
        store_id: Number(e.store_id ?? 0),
        points: 0,
        orders: 0,
      };
      const key = `${row.day}|${row.program_id}|${row.campaign_id}|${row.brand_id}|${row.store_id}`;
      const a = acc.get(key) ?? row;
      a.points += s.points;
      a.orders += 1;
      acc.set(key, a);
    }
  }
  return [...acc.values()];
}

export function campaignReport(ctx: ReportContext): Report {
  const db = ctx.deps.db.kysely;
  const dialect = ctx.deps.db.dialect;
  const columns = [
    'program',
    'campaign',
    'name',
    'startsAt',
    'endsAt',
    'points',
    'costFen',
    'rewardedOrders',
    'windowFrom',
    'windowTo',
    'ordersDuring',
    'amountDuringFen',
    'ordersBefore',
    'amountBeforeFen',
    'orderUpliftPct',
    'amountUpliftPct',
  ] as const;

  async function compute(): Promise<Row[]> {
    const programIds = ctx.filters.programId === undefined ? [...ctx.programs.keys()] : [ctx.filters.programId];
    // The latest published definition of each campaign id per program.
    const defs = new Map<string, CampaignDef>();
    for (const list of (await campaignsByRuleSet(db, programIds)).values()) {
      for (const c of list) defs.set(`${c.programId}|${c.id}`, c);
    }
    // Points attributed in the range: summaries of closed days, the open day's step, live after it.
    const src = repo.spanSources(ctx.span);
    const rows: CampaignDayRow[] = [];
    if (src.closedThrough !== null) rows.push(...(await repo.campaignSummaryDays(db, ctx.fromDay, src.closedThrough)));
    if (src.partial) rows.push(...(await repo.campaignPartialRows(db, src.partial.day, src.partial.key)));
    if (src.liveToMs > src.liveFromMs) rows.push(...(await campaignDayRows(db, dialect, src.liveFromMs, src.liveToMs)));
    const points = new Map<string, { points: number; orders: number }>();
    for (const r of rows) {
      const programId = Number(r.program_id);
      if (!programIds.includes(programId)) continue;
      if (ctx.filters.brandId !== undefined && Number(r.brand_id) !== ctx.filters.brandId) continue;
      if (ctx.filters.storeId !== undefined && Number(r.store_id) !== ctx.filters.storeId) continue;
      const key = `${programId}|${r.campaign_id}`;
      const a = points.get(key) ?? { points: 0, orders: 0 };
      a.points += num(r.points);
      a.orders += num(r.orders);
      points.set(key, a);
    }
    const keys = new Set<string>();
    for (const [key, c] of defs) if (c.startsAt < ctx.endMs && c.endsAt > ctx.fromMs) keys.add(key);
    for (const key of points.keys()) keys.add(key);
    const brandIdByCode = new Map([...ctx.brands.values()].map((b) => [b.code, b.id]));
    const storeIdByCode = new Map([...ctx.stores.values()].map((s) => [s.code, s.id]));

    const out: Row[] = [];
    for (const key of [...keys].sort()) {
      const [programIdText, campaignId] = key.split('|') as [string, string];
      const programId = Number(programIdText);
      const def = defs.get(key);
      const got = points.get(key) ?? { points: 0, orders: 0 };
      const program = ctx.programs.get(programId);
      const row: Row = {
        program: programCode(ctx, programId),
        campaign: campaignId,
        name: def?.name ?? campaignId.replace(/^\?/, ''),
        startsAt: def ? new Date(def.startsAt).toISOString() : null,
        endsAt: def ? new Date(def.endsAt).toISOString() : null,
        points: got.points,
        costFen: pointsValueFen(got.points, program?.pointValueFen ?? 0),
        rewardedOrders: got.orders,
        windowFrom: null,
        windowTo: null,
        ordersDuring: null,
        amountDuringFen: null,
        ordersBefore: null,
        amountBeforeFen: null,
        orderUpliftPct: null,
        amountUpliftPct: null,
      };
      const start = def ? Math.max(def.startsAt, ctx.fromMs) : null;
      const end = def ? Math.min(def.endsAt, ctx.endMs) : null;
      if (def && start !== null && end !== null && start < end) {
        const d1 = repo.dayOfMs(start);
        const d2 = repo.dayOfMs(end - 1);
        const length = d2 - d1 + 1;
        // Where the campaign applies: its rule set's brand, its own brand and store lists.
        let brandIds: number[] | undefined = def.ruleSetBrandId ? [def.ruleSetBrandId] : undefined;
        if (def.brandCodes) {
          const listed = def.brandCodes.map((c) => brandIdByCode.get(c) ?? -1);
          brandIds = brandIds ? brandIds.filter((b) => listed.includes(b)) : listed;
        }
        const storeIds = def.storeCodes?.map((c) => storeIdByCode.get(c) ?? -1);
        const scope = { ...(brandIds ? { brandIds } : {}), ...(storeIds ? { storeIds } : {}) };
        const filters = { ...ctx.filters, programId };
        const totals = async (a: number, b: number) => {
          const r = await repo.orderTotals(db, dialect, { ...ctx.span, fromDay: a, toDay: b }, filters, scope).executeTakeFirst();
          return { orders: num(r?.orders), amount: num(r?.amount_fen) };
        };
        const during = await totals(d1, d2);
        const before = await totals(d1 - length, d1 - 1);
        Object.assign(row, {
          windowFrom: dateOfDay(d1),
          windowTo: dateOfDay(d2),
          ordersDuring: during.orders,
          amountDuringFen: during.amount,
          ordersBefore: before.orders,
          amountBeforeFen: before.amount,
          orderUpliftPct: percent(during.orders - before.orders, before.orders),
          amountUpliftPct: percent(during.amount - before.amount, before.amount),
        });
      }
      out.push(row);
    }
    return out;
  }

  async function* rows(): AsyncGenerator<Row> {
    for (const r of await compute()) yield r;
  }

  return {
    name: 'campaigns',
    mainTable: 'rows',
    tables: { rows: { columns, rows } },
    async json() {
      const list = await collect(rows());
      return {
        ...header(ctx, 'campaigns'),
        rows: list,
        totals: { points: list.reduce((s, r) => s + Number(r.points), 0), costFen: list.reduce((s, r) => s + Number(r.costFen), 0) },
      };
    },
  };
}
