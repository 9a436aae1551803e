/**
 * The HQ reports. Each report is a set of tables; the JSON answer holds them all, a CSV export one
 * of them, streamed row by row from the database (Kysely `.stream()`) through the report's own
 * folding (days into months, running balances) into the CSV writer — memory stays constant however
 * many rows there are. All figures are integers: points, fen, counts; a percentage is a number with
 * one decimal computed from integers at the edge.
 *
 * Dates are China calendar dates (UTC+8); a range [from, to] covers from 00:00 of `from` to the end
 * of `to`. Brand and store filters mean "issued at" for liability, "happened at" for the inflation
 * report (a spend where it was spent, an expiry where the lot was earned), and "ordered at" for the
 * member reports. Reports never carry personal data unless the role holds `reports.personal`.
 */
import { JifenError, REPORT_NAMES, TierSetSchema, chinaDate, toIsoUtc } from '@jifen/shared';
import type { ReportName, ReportQuery } from '@jifen/shared';
import type { Db } from '../db/connect.js';
import { num } from '../db/dialect.js';
import type { PersonalDataCipher } from '../lib/crypto.js';
import * as repo from '../repositories/report.repository.js';
import type { DaySpan, Filters } from '../repositories/report.repository.js';
import { campaignReport } from './report-campaigns.js';

export interface ReportDeps {
  db: Db;
  cipher: PersonalDataCipher;
  now: () => number;
}

/** What the caller's role may see beyond aggregates. */
export interface ReportAccess {
  /** Member ids (RFM member list). */
  members: boolean;
  /** Personal data (phone, name) beside the ids. */
  personal: boolean;
}

export type Row = Record<string, string | number | boolean | null>;

export interface ReportTable {
  columns: readonly string[];
  rows(): AsyncIterable<Row>;
  /** Lists members: needs `access.members`. */
  listsMembers?: boolean;
}

export interface Report {
  name: ReportName;
  /** The JSON answer (every table but the member list, which pages). */
  json(): Promise<Record<string, unknown>>;
  tables: Record<string, ReportTable>;
  mainTable: string;
}

export interface Program {
  id: number;
  code: string;
  name: string;
  pointValueFen: number;
  tiers: Array<{ code: string; name: string }>;
}

export interface Named {
  id: number;
  code: string;
  name: string;
  parentId: number;
}

/** Everything a report needs to know about the request, resolved once. */
export interface ReportContext {
  deps: ReportDeps;
  from: string;
  to: string;
  fromDay: number;
  toDay: number;
  fromMs: number;
  /** Exclusive end: 00:00 China time after `to`. */
  endMs: number;
  granularity: 'day' | 'month';
  span: DaySpan;
  filters: Filters;
  filterCodes: { program: string | null; brand: string | null; store: string | null };
  programs: Map<number, Program>;
  brands: Map<number, Named>;
  stores: Map<number, Named>;
  access: ReportAccess;
  page: { after?: number; limit: number };
}

const MAX_RANGE_DAYS = 3 * 366;

export function isReportName(name: string): name is ReportName {
  return (REPORT_NAMES as readonly string[]).includes(name);
}

/** Day number ↔ China date string. */
export function dayOfDate(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / repo.DAY_MS;
}

export function dateOfDay(day: number): string {
  return new Date(day * repo.DAY_MS).toISOString().slice(0, 10);
}

export interface Month {
  key: string;
  startDay: number;
  endDay: number;
}

/** The calendar months touching [fromDay, toDay], clipped to it. */
export function monthsOf(fromDay: number, toDay: number): Month[] {
  const months: Month[] = [];
  let start = fromDay;
  while (start <= toDay) {
    const d = new Date(start * repo.DAY_MS);
    const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / repo.DAY_MS;
    const end = Math.min(toDay, next - 1);
    months.push({ key: dateOfDay(start).slice(0, 7), startDay: start, endDay: end });
    start = end + 1;
  }
  return months;
}

/** The value of `points` in fen: points × (fen per 100 points) / 100, rounded half away from zero. */
export function pointsValueFen(points: number, pointValueFen: number): number {
  const v = Math.round((Math.abs(points) * pointValueFen) / 100);
  return points < 0 ? -v : v;
}

/** a / b as a percentage with one decimal, or null when b is 0. */
export function percent(a: number, b: number): number | null {
  return b === 0 ? null : Math.round((a * 1000) / b) / 10;
}

function parseTiers(tierSet: string): Array<{ code: string; name: string }> {
  try {
    return TierSetSchema.parse(JSON.parse(tierSet)).tiers.map((t) => ({ code: t.code, name: t.name }));
  } catch {
    return [];
  }
}

/**
 * Resolves the query: dates (default the last 30 days to today), codes to ids, the rollup
 * watermark. Throws VALIDATION_FAILED (a bad range or an unknown code, with the field).
 */
export async function reportContext(deps: ReportDeps, q: ReportQuery, access: ReportAccess): Promise<ReportContext> {
  const today = chinaDate(toIsoUtc(deps.now()));
  const to = q.to ?? today;
  const toDay = dayOfDate(to);
  const from = q.from ?? dateOfDay(toDay - 29);
  const fromDay = dayOfDate(from);
  if (fromDay > toDay) throw new JifenError('VALIDATION_FAILED', 'from must not be after to', 'from');
  if (toDay - fromDay + 1 > MAX_RANGE_DAYS) throw new JifenError('VALIDATION_FAILED', `at most ${MAX_RANGE_DAYS} days`, 'from');
  const db = deps.db.kysely;
  const [programRows, brandRows, storeRows] = await repo.listBrandsAndStores(db);
  const programs = new Map<number, Program>(
    programRows.map((p) => [
      p.id,
      { id: p.id, code: p.code, name: p.name, pointValueFen: p.point_value_fen, tiers: parseTiers(p.tier_set) },
    ]),
  );
  const brands = new Map<number, Named>(brandRows.map((b) => [b.id, { id: b.id, code: b.code, name: b.name, parentId: b.program_id }]));
  const stores = new Map<number, Named>(storeRows.map((s) => [s.id, { id: s.id, code: s.code, name: s.name, parentId: s.brand_id }]));
  const filters: Filters = {};
  if (q.program) {
    const p = [...programs.values()].find((x) => x.code === q.program);
    if (!p) throw new JifenError('VALIDATION_FAILED', `unknown program ${q.program}`, 'program');
    filters.programId = p.id;
  }
  if (q.brand) {
    const b = [...brands.values()].find((x) => x.code === q.brand);
    if (!b) throw new JifenError('VALIDATION_FAILED', `unknown brand ${q.brand}`, 'brand');
    if (filters.programId !== undefined && filters.programId !== b.parentId)
      throw new JifenError('VALIDATION_FAILED', `brand ${b.code} is not in program ${q.program}`, 'brand');
    filters.brandId = b.id;
    filters.programId = b.parentId;
  }
  if (q.store) {
    const s = [...stores.values()].find((x) => x.code === q.store);
    if (!s) throw new JifenError('VALIDATION_FAILED', `unknown store ${q.store}`, 'store');
    if (filters.brandId !== undefined && filters.brandId !== s.parentId)
      throw new JifenError('VALIDATION_FAILED', `store ${s.code} is not a store of brand ${q.brand}`, 'store');
    const programId = brands.get(s.parentId)?.parentId;
    if (filters.programId !== undefined && programId !== filters.programId)
      throw new JifenError('VALIDATION_FAILED', `store ${s.code} is not in program ${q.program}`, 'store');
    filters.storeId = s.id;
    if (programId !== undefined) filters.programId = programId;
  }
  const rollup = await repo.rollupState(db);
  return {
    deps,
    from,
    to,
    fromDay,
    toDay,
    fromMs: repo.dayStartMs(fromDay),
    endMs: repo.dayStartMs(toDay + 1),
    granularity: q.granularity ?? (toDay - fromDay < 31 ? 'day' : 'month'),
    span: { fromDay, toDay, watermark: rollup?.throughDay ?? null, partialUntil: rollup?.partialUntil ?? null },
    filters,
    filterCodes: { program: q.program ?? null, brand: q.brand ?? null, store: q.store ?? null },
    programs,
    brands,
    stores,
    access,
    page: { after: q.after, limit: q.limit ?? 100 },
  };
}

export function buildReport(ctx: ReportContext, name: ReportName): Report {
  switch (name) {
    case 'liability':
      return liabilityReport(ctx);
    case 'inflation':
      return inflationReport(ctx);
    case 'flows':
      return flowsReport(ctx);
    case 'members':
      return membersReport(ctx);
    case 'rfm':
      return rfmReport(ctx);
    case 'campaigns':
      return campaignReport(ctx);
    case 'nps':
      return npsReport(ctx);
  }
}

export function header(ctx: ReportContext, name: ReportName): Record<string, unknown> {
  return {
    report: name,
    from: ctx.from,
    to: ctx.to,
    filters: ctx.filterCodes,
    // The summaries cover the days up to this one; later days were read live from the ledger.
    summarisedThrough: ctx.span.watermark === null ? null : dateOfDay(ctx.span.watermark),
    // …and the next day up to this instant (the rollup's 15-minute steps of the open day).
    summarisedUntil: ctx.span.partialUntil ? toIsoUtc(ctx.span.partialUntil) : null,
  };
}

export async function collect(rows: AsyncIterable<Row>): Promise<Row[]> {
  const out: Row[] = [];
  for await (const r of rows) out.push(r);
  return out;
}

export function programCode(ctx: ReportContext, id: number): string {
  return ctx.programs.get(Number(id))?.code ?? String(id);
}

export function brandCode(ctx: ReportContext, id: number): string | null {
  return Number(id) === 0 ? null : (ctx.brands.get(Number(id))?.code ?? String(id));
}

export function storeCode(ctx: ReportContext, id: number): string | null {
  return Number(id) === 0 ? null : (ctx.stores.get(Number(id))?.code ?? String(id));
}

function scopePrograms(ctx: ReportContext): Program[] {
  const all = [...ctx.programs.values()].sort((a, b) => a.code.localeCompare(b.code));
  return ctx.filters.programId === undefined ? all : all.filter((p) => p.id === ctx.filters.programId);
}

/** Runs `body` over a query's stream and closes the stream if the consumer stops early. */
async function* streamOf<T>(iterable: AsyncIterableIterator<T>): AsyncGenerator<T> {
  try {
    for await (const row of iterable) yield row;
  } finally {
    await iterable.return?.();
  }
}

// ---------------------------------------------------------------------------------------------
// (a) Points liability

function liabilityReport(ctx: ReportContext): Report {
  const db = ctx.deps.db.kysely;
  const dialect = ctx.deps.db.dialect;
  const asOf: DaySpan = { ...ctx.span, fromDay: null };
  const columns = ['program', 'brand', 'store', 'points', 'liabilityFen'] as const;
  async function* rows(): AsyncGenerator<Row> {
    for await (const r of streamOf(repo.lotBalances(db, dialect, asOf, ctx.filters).stream())) {
      const points = num(r.points);
      if (points === 0) continue;
      const p = ctx.programs.get(Number(r.program_id));
      yield {
        program: programCode(ctx, r.program_id),
        brand: brandCode(ctx, r.brand_id),
        store: storeCode(ctx, r.store_id),
        points,
        liabilityFen: pointsValueFen(points, p?.pointValueFen ?? 0),
      };
    }
  }
  const movementColumns = [
    'month',
    'program',
    'opening',
    'issued',
    'spent',
    'expired',
    'reversed',
    'debtRepaid',
    'closing',
    'closingFen',
  ] as const;
  async function* movement(): AsyncGenerator<Row> {
    const programs = scopePrograms(ctx);
    const balance = new Map<number, number>();
    const before: DaySpan = { ...ctx.span, fromDay: null, toDay: ctx.fromDay - 1 };
    for (const r of await repo.lotBalances(db, dialect, before, ctx.filters).execute()) {
      balance.set(Number(r.program_id), (balance.get(Number(r.program_id)) ?? 0) + num(r.points));
    }
    const it = repo.lotMovementByDay(db, dialect, ctx.span, ctx.filters).stream();
    try {
      let next = await it.next();
      for (const month of monthsOf(ctx.fromDay, ctx.toDay)) {
        const acc = new Map<number, Record<string, number>>();
        while (!next.done && num(next.value.day) <= month.endDay) {
          const r = next.value;
          const a = acc.get(Number(r.program_id)) ?? { issue: 0, spend: 0, expire: 0, reverse: 0, debt: 0 };
          a[String(r.kind)] = (a[String(r.kind)] ?? 0) + num(r.points);
          acc.set(Number(r.program_id), a);
          next = await it.next();
        }
        for (const p of programs) {
          const a = acc.get(p.id) ?? { issue: 0, spend: 0, expire: 0, reverse: 0, debt: 0 };
          const opening = balance.get(p.id) ?? 0;
          const row = {
            month: month.key,
            program: p.code,
            opening,
            issued: a.issue ?? 0,
            spent: -(a.spend ?? 0),
            expired: -(a.expire ?? 0),
            reversed: -(a.reverse ?? 0),
            debtRepaid: -(a.debt ?? 0),
            closing: 0,
            closingFen: 0,
          };
          row.closing = opening + row.issued - row.spent - row.expired - row.reversed - row.debtRepaid;
          row.closingFen = pointsValueFen(row.closing, p.pointValueFen);
          balance.set(p.id, row.closing);
          yield row;
        }
      }
    } finally {
      await it.return?.();
    }
  }
  return {
    name: 'liability',
    mainTable: 'rows',
    tables: { rows: { columns, rows }, movement: { columns: movementColumns, rows: movement } },
    async json() {
      // The statements do not depend on each other: on a pool they run side by side.
      const totals = ctx.filters.brandId === undefined && ctx.filters.storeId === undefined;
      const [byIssuer, ledger, movementList] = await Promise.all([
        collect(rows()),
        totals ? repo.ledgerBalances(db, dialect, asOf, ctx.filters).execute() : Promise.resolve([]),
        collect(movement()),
      ]);
      const out: Record<string, unknown> = { ...header(ctx, 'liability'), asOf: toIsoUtc(ctx.endMs), rows: byIssuer };
      if (totals) {
        // Program totals from the ledger: available + pending + held. The lots hold all of it but
        // the points in checkouts (held) and less any negative balances (debts): shown apart.
        out.programs = scopePrograms(ctx).map((p) => {
          const outstanding = num(ledger.find((r) => Number(r.program_id) === p.id)?.points);
          const inLots = byIssuer.filter((r) => r.program === p.code).reduce((s, r) => s + Number(r.points), 0);
          return {
            program: p.code,
            pointValueFen: p.pointValueFen,
            outstanding,
            inLots,
            heldLessDebt: outstanding - inLots,
            liabilityFen: pointsValueFen(outstanding, p.pointValueFen),
          };
        });
      }
      out.movement = movementList;
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// (b) Issued vs spent vs expired vs reversed

interface Flow {
  issued: number;
  reversed: number;
  spent: number;
  returned: number;
  expired: number;
  adjusted: number;
  exchanged: number;
  net: number;
}

function addLedgerRow(f: Flow, kind: string, points: number, pending: number, held: number): void {
  const all = points + pending + held;
  switch (kind) {
    case 'earn':
    case 'grant':
      f.issued += points + pending;
      break;
    case 'reverse-':
      f.reversed -= points + pending;
      break;
    case 'reverse+':
      f.returned += points + pending;
      break;
    case 'spend':
      f.spent -= points;
      break;
    case 'hold_confirm':
      f.spent -= held;
      break;
    case 'expire':
      f.expired -= points + pending;
      break;
    case 'adjust+':
    case 'adjust-':
      f.adjusted += all;
      break;
    case 'exchange_in':
    case 'exchange_out':
      f.exchanged += points + pending;
      break;
  }
  f.net += all;
}

function inflationReport(ctx: ReportContext): Report {
  const db = ctx.deps.db.kysely;
  const dialect = ctx.deps.db.dialect;
  const columns = [
    'period',
    'program',
    'issued',
    'reversed',
    'spent',
    'returned',
    'expired',
    'adjusted',
    'exchanged',
    'net',
    'netFen',
    'burnPct',
  ] as const;
  const periodOf = (day: number) => (ctx.granularity === 'day' ? dateOfDay(day) : dateOfDay(day).slice(0, 7));
  async function* rows(): AsyncGenerator<Row> {
    let current: string | null = null;
    let acc = new Map<number, Flow>();
    function* flush(): Generator<Row> {
      const sorted = [...acc.entries()].sort((a, b) => programCode(ctx, a[0]).localeCompare(programCode(ctx, b[0])));
      for (const [programId, f] of sorted) {
        yield {
          period: current,
          program: programCode(ctx, programId),
          ...f,
          netFen: pointsValueFen(f.net, ctx.programs.get(programId)?.pointValueFen ?? 0),
          burnPct: percent(f.spent - f.returned + f.expired, f.issued - f.reversed),
        };
      }
    }
    for await (const r of streamOf(repo.ledgerByDay(db, dialect, ctx.span, ctx.filters).stream())) {
      const period = periodOf(num(r.day));
      if (period !== current) {
        yield* flush();
        current = period;
        acc = new Map();
      }
      const programId = Number(r.program_id);
      const f = acc.get(programId) ?? { issued: 0, reversed: 0, spent: 0, returned: 0, expired: 0, adjusted: 0, exchanged: 0, net: 0 };
      addLedgerRow(f, String(r.kind), num(r.points), num(r.pending_delta), num(r.held_delta));
      acc.set(programId, f);
    }
    yield* flush();
  }
  return {
    name: 'inflation',
    mainTable: 'rows',
    tables: { rows: { columns, rows } },
    async json() {
      const list = await collect(rows());
      const totals = new Map<string, Flow>();
      for (const r of list) {
        const t = totals.get(String(r.program)) ?? {
          issued: 0,
          reversed: 0,
          spent: 0,
          returned: 0,
          expired: 0,
          adjusted: 0,
          exchanged: 0,
          net: 0,
        };
        for (const k of Object.keys(t) as Array<keyof Flow>) t[k] += Number(r[k]);
        totals.set(String(r.program), t);
      }
      return {
        ...header(ctx, 'inflation'),
        granularity: ctx.granularity,
        rows: list,
        totals: [...totals.entries()].map(([program, f]) => ({
          program,
          ...f,
          burnPct: percent(f.spent - f.returned + f.expired, f.issued - f.reversed),
        })),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// (c) Cross-brand flows

function flowsReport(ctx: ReportContext): Report {
  const db = ctx.deps.db.kysely;
  const dialect = ctx.deps.db.dialect;
  const columns = ['program', 'earnedAt', 'spentAt', 'points', 'valueFen', 'crossBrand'] as const;
  async function* rows(): AsyncGenerator<Row> {
    for await (const r of streamOf(repo.lotFlows(db, dialect, ctx.span, ctx.filters).stream())) {
      const points = -num(r.points);
      if (points === 0) continue;
      const earnedAt = brandCode(ctx, r.brand_id);
      const spentAt = brandCode(ctx, r.spender_brand_id);
      yield {
        program: programCode(ctx, r.program_id),
        earnedAt,
        spentAt,
        points,
        valueFen: pointsValueFen(points, ctx.programs.get(Number(r.program_id))?.pointValueFen ?? 0),
        crossBrand: earnedAt !== null && spentAt !== null && earnedAt !== spentAt,
      };
    }
  }
  return {
    name: 'flows',
    mainTable: 'rows',
    tables: { rows: { columns, rows } },
    async json() {
      const list = await collect(rows());
      const cross = list.filter((r) => r.crossBrand).reduce((s, r) => s + Number(r.points), 0);
      const total = list.reduce((s, r) => s + Number(r.points), 0);
      return { ...header(ctx, 'flows'), rows: list, totals: { spent: total, crossBrand: cross, crossBrandPct: percent(cross, total) } };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// (d) Members

function periods(ctx: ReportContext): Array<{ key: string; startDay: number }> {
  if (ctx.granularity === 'month') return monthsOf(ctx.fromDay, ctx.toDay).map((m) => ({ key: m.key, startDay: m.startDay }));
  const out = [];
  for (let d = ctx.fromDay; d <= ctx.toDay; d++) out.push({ key: dateOfDay(d), startDay: d });
  return out;
}

function periodExpr(ctx: ReportContext) {
  const months = ctx.granularity === 'month' ? monthsOf(ctx.fromDay, ctx.toDay) : [];
  return (col: Parameters<typeof repo.periodSql>[1]) => repo.periodSql(ctx.deps.db.dialect, col, ctx.granularity, months);
}

interface BuyerStats {
  buyers: number;
  repeaters: number;
  spanMs: number;
  gaps: number;
  /** Distinct buyers per period (by period index), when counted with the rest. */
  perPeriod: number[] | null;
}

/**
 * Whether a range's buyers per period are counted as bits of the grouping by member: over long ranges
 * (that grouping reads the member-ordered index whole, and a second statement per period would read
 * every order again) and up to MAX_PERIOD_BITS periods. A short range counts them apart, side by side:
 * both statements read only the range there.
 */
function periodsAsBits(ctx: ReportContext): boolean {
  return periods(ctx).length <= repo.MAX_PERIOD_BITS && ctx.endMs - ctx.fromMs > repo.SHORT_RANGE_MS;
}

/**
 * The buying members of the range: one grouping of their orders by member gives the summary and, with
 * periodsAsBits, each period's distinct buyers; over a long range on MySQL it runs as slices of the
 * members side by side, whose sums add up.
 */
async function buyerStats(ctx: ReportContext): Promise<BuyerStats> {
  const list = periods(ctx);
  const withPeriods = periodsAsBits(ctx);
  const months = ctx.granularity === 'month' ? monthsOf(ctx.fromDay, ctx.toDay) : [];
  const dialect = ctx.deps.db.dialect;
  const period = withPeriods
    ? {
        count: list.length,
        index: (col: Parameters<typeof repo.periodIndexSql>[1]) => repo.periodIndexSql(dialect, col, ctx.granularity, ctx.fromDay, months),
      }
    : undefined;
  const slices = repo.memberSlices(dialect, ctx.fromMs, ctx.endMs);
  const rows = await Promise.all(
    slices.map((memberRange) =>
      repo
        .buyerStats(ctx.deps.db.kysely, dialect, ctx.fromMs, ctx.endMs, { ...ctx.filters, ...(memberRange ? { memberRange } : {}) }, period)
        .executeTakeFirst(),
    ),
  );
  const sum = (key: string) => rows.reduce((s, r) => s + num((r as Row | undefined)?.[key]), 0);
  return {
    buyers: sum('buyers'),
    repeaters: sum('repeaters'),
    spanMs: sum('span_ms'),
    gaps: sum('gaps'),
    perPeriod: withPeriods ? list.map((_, k) => sum(`p${k}`)) : null,
  };
}

function membersReport(ctx: ReportContext): Report {
  const db = ctx.deps.db.kysely;
  const periodColumns = ['period', 'newMembers', 'buyers', 'orders', 'amountFen'] as const;
  let stats: Promise<BuyerStats> | undefined;
  const statsOnce = () => (stats ??= buyerStats(ctx));
  async function* periodRows(): AsyncGenerator<Row> {
    const list = periods(ctx);
    const [joinedRows, dayRows, counted, apart] = await Promise.all([
      repo.newMembersByPeriod(db, ctx.fromMs, ctx.endMs, periodExpr(ctx)).execute(),
      repo.memberOrdersByDay(db, ctx.deps.db.dialect, ctx.span, ctx.filters).execute(),
      statsOnce(),
      periodsAsBits(ctx)
        ? Promise.resolve(null)
        : repo.buyersByPeriod(db, ctx.deps.db.dialect, ctx.fromMs, ctx.endMs, ctx.filters, periodExpr(ctx)).execute(),
    ]);
    const byStart = new Map<number, number>();
    for (const r of apart ?? []) byStart.set(num(r.period), num(r.buyers));
    const perPeriod = counted.perPeriod ?? list.map((p) => byStart.get(p.startDay) ?? 0);
    const joined = new Map<number, number>();
    for (const r of joinedRows) joined.set(num(r.period), num(r.members));
    // Orders and amounts by day, then by the period each day falls in.
    const orders = list.map(() => 0);
    const amounts = list.map(() => 0);
    for (const r of dayRows) {
      const day = num(r.day);
      let k = list.length - 1;
      while (k > 0 && list[k]!.startDay > day) k--;
      if (day < ctx.fromDay || day > ctx.toDay) continue;
      orders[k]! += num(r.orders);
      amounts[k]! += num(r.amount_fen);
    }
    for (const [k, p] of list.entries()) {
      yield {
        period: p.key,
        newMembers: joined.get(p.startDay) ?? 0,
        buyers: perPeriod[k] ?? 0,
        orders: orders[k] ?? 0,
        amountFen: amounts[k] ?? 0,
      };
    }
  }
  const tierColumns = ['program', 'tier', 'tierName', 'members'] as const;
  async function* tierRows(): AsyncGenerator<Row> {
    for await (const r of streamOf(repo.tierDistribution(db, ctx.filters).stream())) {
      const p = ctx.programs.get(Number(r.program_id));
      yield {
        program: programCode(ctx, r.program_id),
        tier: r.tier_code,
        tierName: p?.tiers.find((t) => t.code === r.tier_code)?.name ?? r.tier_code,
        members: num(r.members),
      };
    }
  }
  const moveColumns = ['program', 'fromTier', 'toTier', 'direction', 'members'] as const;
  async function* moveRows(): AsyncGenerator<Row> {
    const codes = await repo.movedToTierCodes(db);
    for await (const r of streamOf(repo.tierMoves(db, ctx.deps.db.dialect, ctx.span, codes, ctx.filters).stream())) {
      const tiers = ctx.programs.get(Number(r.program_id))?.tiers ?? [];
      const rank = (c: string | null) => (c === null ? -1 : tiers.findIndex((t) => t.code === c));
      const fromTier = r.from_code === '' ? null : String(r.from_code);
      yield {
        program: programCode(ctx, r.program_id),
        fromTier,
        toTier: r.to_code,
        direction: rank(r.to_code) > rank(fromTier) ? 'up' : 'down',
        members: num(r.members),
      };
    }
  }
  return {
    name: 'members',
    mainTable: 'periods',
    tables: {
      periods: { columns: periodColumns, rows: periodRows },
      tiers: { columns: tierColumns, rows: tierRows },
      tier_movement: { columns: moveColumns, rows: moveRows },
    },
    async json() {
      const [s, periodList, tiers, tierMovement] = await Promise.all([
        statsOnce(),
        collect(periodRows()),
        collect(tierRows()),
        collect(moveRows()),
      ]);
      const { buyers, repeaters, gaps } = s;
      return {
        ...header(ctx, 'members'),
        granularity: ctx.granularity,
        summary: {
          // New members are group-wide (a member belongs to no brand); the rest follow the filters.
          newMembers: periodList.reduce((sum, r) => sum + Number(r.newMembers), 0),
          buyers,
          repeatBuyers: repeaters,
          repurchaseRatePct: percent(repeaters, buyers),
          avgIntervalDays: gaps === 0 ? null : Math.round((s.spanMs * 10) / (gaps * repo.DAY_MS)) / 10,
        },
        periods: periodList,
        tiers,
        tierMovement,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// (e) RFM segments and churn warnings

function rfmReport(ctx: ReportContext): Report {
  const db = ctx.deps.db.kysely;
  const segmentColumns = ['segment', 'members', 'yellow', 'red', 'avgRecencyDays', 'avgOrders', 'avgAmountFen'] as const;
  async function* segmentRows(): AsyncGenerator<Row> {
    // Over a long range on MySQL, slices of the members side by side; their per-segment sums add up.
    const found = new Map<string, Row>();
    const slices = repo.memberSlices(ctx.deps.db.dialect, ctx.fromMs, ctx.endMs);
    const parts = await Promise.all(
      slices.map((memberRange) =>
        repo
          .rfmSegments(
            db,
            ctx.deps.db.dialect,
            ctx.fromMs,
            ctx.endMs,
            { ...ctx.filters, ...(memberRange ? { memberRange } : {}) },
            ctx.span,
          )
          .execute(),
      ),
    );
    for (const r of parts.flat()) {
      const key = String(r.segment);
      const before = found.get(key);
      const row = r as Row;
      found.set(
        key,
        before
          ? Object.fromEntries(
              ['members', 'yellow', 'red', 'recency_ms', 'orders', 'amount_fen'].map((c) => [c, num(before[c]) + num(row[c])]),
            )
          : row,
      );
    }
    for (const segment of repo.RFM_SEGMENTS) {
      const r = found.get(segment);
      const members = num(r?.members);
      const avg = (v: unknown, unit = 1) => (members === 0 ? null : Math.round((num(v) * 10) / (members * unit)) / 10);
      yield {
        segment,
        members,
        yellow: num(r?.yellow),
        red: num(r?.red),
        avgRecencyDays: avg(r?.recency_ms, repo.DAY_MS),
        avgOrders: avg(r?.orders),
        avgAmountFen: members === 0 ? null : Math.round(num(r?.amount_fen) / members),
      };
    }
  }
  const memberColumns = [
    'memberId',
    'segment',
    'churn',
    'r',
    'f',
    'm',
    'recencyDays',
    'orders',
    'amountFen',
    'lastPurchase',
    ...(ctx.access.personal ? (['phone', 'name'] as const) : []),
  ];
  const present = (r: Record<string, unknown>): Row => ({
    memberId: Number(r.member_id),
    segment: String(r.segment),
    churn: (r.churn as string | null) ?? null,
    r: num(r.r),
    f: num(r.f),
    m: num(r.m),
    recencyDays: Math.floor((ctx.endMs - num(r.last_at)) / repo.DAY_MS),
    orders: num(r.orders),
    amountFen: num(r.amount_fen),
    lastPurchase: toIsoUtc(num(r.last_at)),
    ...(ctx.access.personal
      ? { phone: r.phone_enc ? ctx.deps.cipher.decrypt(String(r.phone_enc)) : null, name: (r.name as string | null) ?? null }
      : {}),
  });
  /** A page of the member list (JSON), when the role may see member ids: its ids first, then their figures. */
  async function memberPage(): Promise<{ items: Row[]; next: number | null } | null> {
    if (!ctx.access.members) return null;
    const limit = ctx.page.limit;
    const dialect = ctx.deps.db.dialect;
    const ids = await repo.buyerIdsPage(db, dialect, ctx.fromMs, ctx.endMs, ctx.filters, ctx.page.after, limit + 1);
    const rows = ids.length
      ? await repo
          .rfmMemberList(db, dialect, ctx.fromMs, ctx.endMs, { ...ctx.filters, memberIds: ids }, ctx.span, {}, ctx.access.personal)
          .execute()
      : [];
    const items = rows.slice(0, limit).map((r) => present(r as Record<string, unknown>));
    return { items, next: rows.length > limit ? Number(items[items.length - 1]!.memberId) : null };
  }
  async function* memberRows(): AsyncGenerator<Row> {
    const q = repo.rfmMemberList(db, ctx.deps.db.dialect, ctx.fromMs, ctx.endMs, ctx.filters, ctx.span, {}, ctx.access.personal);
    for await (const r of streamOf(q.stream())) yield present(r as Record<string, unknown>);
  }
  return {
    name: 'rfm',
    mainTable: 'segments',
    tables: {
      segments: { columns: segmentColumns, rows: segmentRows },
      members: { columns: memberColumns, rows: memberRows, listsMembers: true },
    },
    async json() {
      const [segments, page] = await Promise.all([collect(segmentRows()), memberPage()]);
      const out: Record<string, unknown> = {
        ...header(ctx, 'rfm'),
        asOf: toIsoUtc(ctx.endMs),
        thresholds: repo.RFM,
        segments,
        totals: {
          members: segments.reduce((s, r) => s + Number(r.members), 0),
          yellow: segments.reduce((s, r) => s + Number(r.yellow), 0),
          red: segments.reduce((s, r) => s + Number(r.red), 0),
        },
      };
      if (page) out.members = page;
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// (g) NPS

interface NpsCounts {
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  nps: number | null;
}

function npsOf(r: Record<string, unknown> | undefined): NpsCounts {
  const responses = num(r?.responses);
  const promoters = num(r?.promoters);
  const detractors = num(r?.detractors);
  return {
    responses,
    promoters,
    passives: responses - promoters - detractors,
    detractors,
    nps: percent(promoters - detractors, responses),
  };
}

function npsReport(ctx: ReportContext): Report {
  const db = ctx.deps.db.kysely;
  const periodColumns = ['period', 'responses', 'promoters', 'passives', 'detractors', 'nps'] as const;
  async function* periodRows(): AsyncGenerator<Row> {
    const found = new Map<number, NpsCounts>();
    for (const r of await repo.npsByPeriod(db, ctx.fromMs, ctx.endMs, ctx.filters, periodExpr(ctx)).execute())
      found.set(num(r.period), npsOf(r));
    for (const p of periods(ctx)) yield { period: p.key, ...(found.get(p.startDay) ?? npsOf(undefined)) };
  }
  const brandColumns = ['brand', 'responses', 'promoters', 'passives', 'detractors', 'nps'] as const;
  async function* brandRows(): AsyncGenerator<Row> {
    for await (const r of streamOf(repo.npsByBrand(db, ctx.fromMs, ctx.endMs, ctx.filters).stream())) {
      yield { brand: brandCode(ctx, r.brand_id), ...npsOf(r) };
    }
  }
  return {
    name: 'nps',
    mainTable: 'periods',
    tables: { periods: { columns: periodColumns, rows: periodRows }, brands: { columns: brandColumns, rows: brandRows } },
    async json() {
      const [brands, periodList] = await Promise.all([collect(brandRows()), collect(periodRows())]);
      const sum = (k: keyof NpsCounts) => brands.reduce((s, r) => s + Number(r[k]), 0);
      return {
        ...header(ctx, 'nps'),
        granularity: ctx.granularity,
        summary: npsOf({ responses: sum('responses'), promoters: sum('promoters'), detractors: sum('detractors') }),
        periods: periodList,
        brands,
      };
    },
  };
}
