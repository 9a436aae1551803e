/**
 * The SQL behind the HQ reports: the rollup job's daily summaries, and the queries each report runs.
 *
 * Every daily figure has one definition here, a SELECT grouped by China day. The rollup job inserts
 * its rows into a summary table once a day has closed; a report reads the summary for the days up
 * to the job's watermark and runs the same SELECT live for the days after it (normally only today),
 * joined by UNION ALL into one statement — so a report is exact whether or not the job has run, and
 * reading a year costs a few thousand summary rows instead of millions of ledger entries.
 */
import { AliasNode, FromNode, IdentifierNode, OperationNodeTransformer, RawNode, TableNode, sql } from 'kysely';
import type {
  Expression,
  KyselyPlugin,
  Kysely,
  OperationNode,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RawBuilder,
  RootOperationNode,
  SelectQueryBuilder,
  UnknownRow,
} from 'kysely';
import type { EntryKind } from '../commands/ledger.js';
import type { DialectName } from '../db/connect.js';
import { chinaDaySql } from '../db/dialect.js';
import type { Trx } from '../db/dialect.js';
import type { Database } from '../db/schema.js';

type Q = Kysely<Database> | Trx;
// Summary and live rows share one shape; Kysely cannot type a UNION of a table and an aggregate.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyQuery = SelectQueryBuilder<any, any, any>;

export const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;

/** Every ledger entry kind: listing them lets `(kind, created_at)` serve a time range over all kinds. */
export const ENTRY_KINDS = [
  'earn',
  'grant',
  'adjust',
  'spend',
  'hold',
  'hold_confirm',
  'hold_release',
  'release',
  'expire',
  'reverse',
  'exchange_out',
  'exchange_in',
] as const satisfies readonly EntryKind[];
// A kind added to the ledger and not listed here would be missing from every report: fail to compile.
type UnlistedKind = Exclude<EntryKind, (typeof ENTRY_KINDS)[number]>;
export const EVERY_KIND_LISTED: [UnlistedKind] extends [never] ? true : never = true;
const CREDIT_KINDS = ['earn', 'grant', 'adjust', 'exchange_in'] as const;
/** Entries a member makes (not the jobs' releases and expiries, nor staff adjustments): "activity". */
export const MEMBER_ACTIVITY_KINDS = ['earn', 'spend', 'hold', 'exchange_out'] as const;
/** Orders that were paid (a refund changes the status, never undoes the sale). */
export const PAID_STATUSES = ['paid', 'partially_refunded', 'refunded'] as const;

export function dayStartMs(day: number): number {
  return day * DAY_MS - CHINA_OFFSET_MS;
}

export function dayOfMs(ms: number): number {
  return Math.floor((ms + CHINA_OFFSET_MS) / DAY_MS);
}

/**
 * Makes MySQL/MariaDB/TiDB read a day range through the index meant for it: `FORCE INDEX` on the
 * query's FROM table. Without it the optimizer may start from `account` and walk the whole ledger
 * by its primary key (it guesses a month is too large a share to range-scan), which costs a full
 * scan per rollup chunk. SQLite plans these correctly and gets no hint.
 */
class ForceIndex extends OperationNodeTransformer implements KyselyPlugin {
  constructor(
    private readonly table: string,
    private readonly alias: string,
    private readonly index: string,
  ) {
    super();
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }

  protected override transformFrom(node: FromNode): FromNode {
    return super.transformFrom(FromNode.create(node.froms.map((f) => this.hinted(f))));
  }

  private hinted(f: OperationNode): OperationNode {
    if (!AliasNode.is(f) || !TableNode.is(f.node) || !IdentifierNode.is(f.alias)) return f;
    if (f.node.table.identifier.name !== this.table || f.alias.name !== this.alias) return f;
    return RawNode.createWithSql(`\`${this.table}\` as \`${this.alias}\` force index (\`${this.index}\`)`);
  }
}

function forceIndex<T extends AnyQuery>(dialect: DialectName, q: T, table: string, alias: string, index: string): T {
  return dialect === 'mysql' ? (q.withPlugin(new ForceIndex(table, alias, index)) as T) : q;
}

function byKindAndTime<T extends AnyQuery>(dialect: DialectName, q: T): T {
  return forceIndex(dialect, q, 'ledger_entry', 'e', 'ledger_entry_kind_time');
}

// ---------------------------------------------------------------------------------------------
// The daily definitions (rollup and live tail)

/**
 * Ledger entries of [fromMs, toMs) by day, program, brand and store, and kind (adjust and reverse
 * split by sign). The brand and store are those of the entry's order; an entry without one takes
 * its referenced entry's order (a hold release: the hold's), and a release or expiry its lot's.
 */
export function ledgerDaySelect(db: Q, dialect: DialectName, fromMs: number, toMs: number): AnyQuery {
  const day = chinaDaySql(dialect, sql.ref('e.created_at'));
  const total = sql`(e.points + e.pending_delta + e.held_delta)`;
  const brand = sql<number>`coalesce(o.brand_id, 0)`;
  const store = sql<number>`coalesce(o.store_id, 0)`;
  const kind = sql<string>`(case
        when e.kind = 'adjust' and ${total} >= 0 then 'adjust+'
        when e.kind = 'adjust' then 'adjust-'
        when e.kind = 'reverse' and ${total} >= 0 then 'reverse+'
        when e.kind = 'reverse' then 'reverse-'
        else e.kind end)`;
  return byKindAndTime(
    dialect,
    db
      .selectFrom('ledger_entry as e')
      .innerJoin('account as a', 'a.id', 'e.account_id')
      // The key is NULL unless the entry needs the lookup, so most entries cost no probe at all.
      .leftJoin('ledger_entry as r', (j) =>
        j.on((eb) => eb(eb.ref('r.id'), '=', sql<number>`(case when e.order_ref is null then e.ref_entry_id end)`)),
      )
      .leftJoin('lot as l', (j) =>
        j.on((eb) =>
          eb(eb.ref('l.id'), '=', sql<number>`(case when e.order_ref is null and e.kind in ('expire', 'release') then e.lot_id end)`),
        ),
      )
      .leftJoin('ledger_entry as se', 'se.id', 'l.source_entry_id')
      .leftJoin('pay_order as o', (j) =>
        j.on((eb) => eb(eb.ref('o.out_trade_no'), '=', eb.fn.coalesce('e.order_ref', 'r.order_ref', 'se.order_ref'))),
      )
      .select([
        day.as('day'),
        'a.program_id as program_id',
        brand.as('brand_id'),
        store.as('store_id'),
        kind.as('kind'),
        sql<number>`sum(e.points)`.as('points'),
        sql<number>`sum(e.pending_delta)`.as('pending_delta'),
        sql<number>`sum(e.held_delta)`.as('held_delta'),
        sql<number>`sum(e.growth_delta)`.as('growth_delta'),
        sql<number>`count(*)`.as('entries'),
      ])
      .where('e.kind', 'in', ENTRY_KINDS)
      .where('e.created_at', '>=', fromMs)
      .where('e.created_at', '<', toMs)
      // By expression, not alias: SQLite finds `kind` ambiguous between the alias and the joined tables.
      .groupBy([day, 'a.program_id', brand, store, kind]) as AnyQuery,
  );
}

/**
 * Points in lots of [fromMs, toMs), by the brand and store that issued them: lots created (`issue`)
 * and every lot movement, with spends, holds and their returns netted as `spend` and tagged with
 * the brand of the order the points paid for.
 */
export function lotDaySelect(db: Q, dialect: DialectName, fromMs: number, toMs: number): AnyQuery {
  const day = chinaDaySql(dialect, sql.ref('e.created_at'));
  const issuerBrand = sql<number>`coalesce(o.brand_id, 0)`;
  const issuerStore = sql<number>`coalesce(o.store_id, 0)`;
  const issued = db
    .selectFrom('ledger_entry as e')
    .innerJoin('lot as l', 'l.source_entry_id', 'e.id')
    .innerJoin('account as a', 'a.id', 'e.account_id')
    .leftJoin('pay_order as o', 'o.out_trade_no', 'e.order_ref')
    .select([
      day.as('day'),
      'a.program_id as program_id',
      issuerBrand.as('brand_id'),
      issuerStore.as('store_id'),
      sql<number>`0`.as('spender_brand_id'),
      sql<string>`'issue'`.as('kind'),
      sql<number>`sum(l.original)`.as('points'),
    ])
    .where('e.kind', 'in', CREDIT_KINDS)
    .where('e.created_at', '>=', fromMs)
    .where('e.created_at', '<', toMs)
    .groupBy([day, 'a.program_id', issuerBrand, issuerStore]) as AnyQuery;
  const isSpend = sql`m.kind in ('spend', 'hold', 'restore')`;
  const fromBrand = sql<number>`coalesce(so.brand_id, 0)`;
  const fromStore = sql<number>`coalesce(so.store_id, 0)`;
  const spender = sql<number>`(case when ${isSpend} then coalesce(po.brand_id, 0) else 0 end)`;
  const movedKind = sql<string>`(case when ${isSpend} then 'spend' else m.kind end)`;
  const moved = db
    .selectFrom('ledger_entry as e')
    .innerJoin('lot_movement as m', 'm.entry_id', 'e.id')
    .innerJoin('lot as l', 'l.id', 'm.lot_id')
    .innerJoin('ledger_entry as se', 'se.id', 'l.source_entry_id')
    .innerJoin('account as a', 'a.id', 'e.account_id')
    .leftJoin('pay_order as so', 'so.out_trade_no', 'se.order_ref')
    .leftJoin('ledger_entry as r', (j) =>
      j.on((eb) => eb(eb.ref('r.id'), '=', sql<number>`(case when e.order_ref is null then e.ref_entry_id end)`)),
    )
    .leftJoin('pay_order as po', (j) => j.on((eb) => eb(eb.ref('po.out_trade_no'), '=', eb.fn.coalesce('e.order_ref', 'r.order_ref'))))
    .select([
      day.as('day'),
      'a.program_id as program_id',
      fromBrand.as('brand_id'),
      fromStore.as('store_id'),
      spender.as('spender_brand_id'),
      movedKind.as('kind'),
      sql<number>`sum(m.points)`.as('points'),
    ])
    .where('e.kind', 'in', ENTRY_KINDS)
    .where('e.created_at', '>=', fromMs)
    .where('e.created_at', '<', toMs)
    .where('m.kind', '<>', 'excused')
    .groupBy([day, 'a.program_id', fromBrand, fromStore, spender, movedKind]) as AnyQuery;
  return byKindAndTime(dialect, issued).unionAll(byKindAndTime(dialect, moved));
}

/** Paid orders of [fromMs, toMs) by the day they were placed, program, brand and store. */
export function orderDaySelect(db: Q, dialect: DialectName, fromMs: number, toMs: number): AnyQuery {
  const q = db
    .selectFrom('pay_order as o')
    .select([
      chinaDaySql(dialect, sql.ref('o.placed_at')).as('day'),
      'o.program_id as program_id',
      'o.brand_id as brand_id',
      'o.store_id as store_id',
      sql<number>`count(*)`.as('orders'),
      sql<number>`sum(o.amount_fen)`.as('amount_fen'),
      sql<number>`sum(coalesce(o.payer_total_fen, 0))`.as('payer_fen'),
      sql<number>`sum(o.points_paid)`.as('points_paid'),
      sql<number>`sum(case when o.member_id is not null then 1 else 0 end)`.as('member_orders'),
      sql<number>`sum(case when o.member_id is not null then o.amount_fen else 0 end)`.as('member_amount_fen'),
    ])
    .where('o.status', 'in', PAID_STATUSES)
    .where('o.placed_at', '>=', fromMs)
    .where('o.placed_at', '<', toMs)
    .groupBy([chinaDaySql(dialect, sql.ref('o.placed_at')), 'o.program_id', 'o.brand_id', 'o.store_id']);
  return forceIndex(dialect, q as AnyQuery, 'pay_order', 'o', 'pay_order_status');
}

/**
 * Tier moves of [fromMs, toMs) by day, program and (from, to); a first tier moves from ''. Read by
 * tier through `tier_history_report`: `tierCodes` are every code that was ever moved to.
 */
export function tierDaySelect(db: Q, dialect: DialectName, tierCodes: readonly string[], fromMs: number, toMs: number): AnyQuery {
  const day = chinaDaySql(dialect, sql.ref('h.created_at'));
  const from = sql<string>`coalesce(h.from_code, '')`;
  return db
    .selectFrom('tier_history as h')
    .innerJoin('account as a', 'a.id', 'h.account_id')
    .select([
      day.as('day'),
      'a.program_id as program_id',
      from.as('from_code'),
      'h.to_code as to_code',
      sql<number>`count(*)`.as('members'),
    ])
    .where('h.to_code', 'in', tierCodes.length ? tierCodes : [''])
    .where('h.created_at', '>=', fromMs)
    .where('h.created_at', '<', toMs)
    .groupBy([day, 'a.program_id', from, 'h.to_code']) as AnyQuery;
}

/** Every tier code a member has moved to (a loose scan of the index led by it). */
export async function movedToTierCodes(db: Q): Promise<string[]> {
  return (await db.selectFrom('tier_history').select('to_code').distinct().execute()).map((r) => r.to_code);
}

/**
 * The members who earned, spent, held or exchanged points on each day of [fromMs, toMs): what the
 * rollup keeps in report_member_active_day, for the red churn warning.
 */
export function memberActiveDaySelect(db: Q, dialect: DialectName, fromMs: number, toMs: number): AnyQuery {
  const day = chinaDaySql(dialect, sql.ref('e.created_at'));
  return byKindAndTime(
    dialect,
    db
      .selectFrom('ledger_entry as e')
      .innerJoin('account as a', 'a.id', 'e.account_id')
      .select(['a.member_id as member_id', day.as('day')])
      .where('e.kind', 'in', MEMBER_ACTIVITY_KINDS)
      .where('e.created_at', '>=', fromMs)
      .where('e.created_at', '<', toMs)
      .groupBy(['a.member_id', day]) as AnyQuery,
  );
}

/** Rewrites the active days of [fromDay, toDay] from the ledger of [fromMs, toMs). */
export async function rewriteMemberActiveDays(
  trx: Trx,
  dialect: DialectName,
  fromDay: number,
  toDay: number,
  fromMs: number,
  toMs: number,
): Promise<void> {
  await trx.deleteFrom('report_member_active_day').where('day', '>=', fromDay).where('day', '<=', toDay).execute();
  await trx
    .insertInto('report_member_active_day')
    .columns(['member_id', 'day'])
    .expression(memberActiveDaySelect(trx, dialect, fromMs, toMs))
    .execute();
}

export interface CampaignTraceRow {
  created_at: number;
  program_id: number;
  trace: string | null;
  brand_id: number | null;
  store_id: number | null;
  rule_set_id: number | null;
}

/** Earn entries of [fromMs, toMs) whose rules trace names a campaign, with their order's rule set. */
export function campaignTraces(db: Q, dialect: DialectName, fromMs: number, toMs: number) {
  const q = db
    .selectFrom('ledger_entry as e')
    .innerJoin('account as a', 'a.id', 'e.account_id')
    .leftJoin('pay_order as o', 'o.out_trade_no', 'e.order_ref')
    .select(['e.created_at', 'a.program_id', 'e.trace', 'o.brand_id', 'o.store_id', 'o.rule_set_id'])
    .where('e.kind', '=', 'earn')
    .where('e.created_at', '>=', fromMs)
    .where('e.created_at', '<', toMs)
    .where('e.trace', 'like', '%"rule":"campaign"%');
  return byKindAndTime(dialect, q as AnyQuery) as unknown as typeof q;
}

// ---------------------------------------------------------------------------------------------
// The rollup job's writes

export type SummaryTable = 'report_ledger_day' | 'report_lot_day' | 'report_order_day' | 'report_tier_day' | 'report_campaign_day';

/** Every summary table, in the order the rollup writes them. */
export const SUMMARY_TABLES = [
  'report_ledger_day',
  'report_lot_day',
  'report_order_day',
  'report_tier_day',
  'report_campaign_day',
] as const;

export const SUMMARY_COLUMNS = {
  report_ledger_day: [
    'day',
    'program_id',
    'brand_id',
    'store_id',
    'kind',
    'points',
    'pending_delta',
    'held_delta',
    'growth_delta',
    'entries',
  ],
  report_lot_day: ['day', 'program_id', 'brand_id', 'store_id', 'spender_brand_id', 'kind', 'points'],
  report_order_day: [
    'day',
    'program_id',
    'brand_id',
    'store_id',
    'orders',
    'amount_fen',
    'payer_fen',
    'points_paid',
    'member_orders',
    'member_amount_fen',
  ],
  report_tier_day: ['day', 'program_id', 'from_code', 'to_code', 'members'],
  report_campaign_day: ['day', 'program_id', 'campaign_id', 'brand_id', 'store_id', 'points', 'orders'],
} as const;

export async function deleteSummaryDays(trx: Trx, table: SummaryTable, fromDay: number, toDay: number): Promise<void> {
  await trx.deleteFrom(table).where('day', '>=', fromDay).where('day', '<=', toDay).execute();
}

/**
 * INSERT … SELECT: the rows never pass through the application. With `dayKey`, the rows are
 * written under that key instead of their day (a partial day's generation, see PARTIAL_STEP_MS).
 */
export async function insertSummaryFrom(
  trx: Trx,
  table: Exclude<SummaryTable, 'report_campaign_day'>,
  select: AnyQuery,
  dayKey?: number,
): Promise<void> {
  const columns = SUMMARY_COLUMNS[table];
  const source =
    dayKey === undefined
      ? select
      : (trx
          .selectFrom(select.as('x'))
          .select([sql<number>`${dayKey}`.as('day'), ...columns.filter((c) => c !== 'day').map((c) => `x.${c}` as never)]) as AnyQuery);
  await trx
    .insertInto(table)
    .columns([...columns] as never)
    .expression(source)
    .execute();
}

/**
 * The open day is summarised in steps of 15 minutes, each step under its own key: `day` =
 * −(the step's end in minutes since the epoch). A new step never overwrites the rows a report may be
 * reading: the step before it, and any that ended within PARTIAL_KEEP_MS of it, are kept.
 */
export const PARTIAL_STEP_MS = 15 * 60_000;
export const PARTIAL_KEEP_MS = 45 * 60_000;

export function partialKey(partialUntil: number): number {
  return -Math.round(partialUntil / 60_000);
}

/** Deletes partial-day steps that ended before `beforeMs` (keys are negative: older is closer to 0). */
export async function deletePartialSteps(trx: Trx, table: SummaryTable, beforeMs: number): Promise<void> {
  await trx.deleteFrom(table).where('day', '<', 0).where('day', '>', partialKey(beforeMs)).execute();
}

export interface CampaignDayRow {
  day: number;
  program_id: number;
  campaign_id: string;
  brand_id: number;
  store_id: number;
  points: number;
  orders: number;
}

export async function insertCampaignDays(trx: Trx, rows: CampaignDayRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500)
    await trx
      .insertInto('report_campaign_day')
      .values(rows.slice(i, i + 500))
      .execute();
}

export const ROLLUP_NAME = 'daily';

/** The last day summarised, or null before the first rollup. */
export async function rollupWatermark(db: Q): Promise<number | null> {
  return (await rollupState(db))?.throughDay ?? null;
}

export interface RollupState {
  throughDay: number;
  /** The next day is summarised up to this instant too (its rows under partialKey), or null. */
  partialUntil: number | null;
}

export async function rollupState(db: Q): Promise<RollupState | null> {
  const row = await db
    .selectFrom('report_rollup')
    .select(['through_day', 'partial_until'])
    .where('name', '=', ROLLUP_NAME)
    .executeTakeFirst();
  return row ? { throughDay: row.through_day, partialUntil: row.partial_until === null ? null : Number(row.partial_until) } : null;
}

/** Compare-and-set of the partial day's step: false when another rollup moved either meanwhile. */
export async function advancePartial(trx: Trx, throughDay: number, from: number | null, to: number, now: number): Promise<boolean> {
  let q = trx
    .updateTable('report_rollup')
    .set({ partial_until: to, updated_at: now })
    .where('name', '=', ROLLUP_NAME)
    .where('through_day', '=', throughDay);
  q = from === null ? q.where('partial_until', 'is', null) : q.where('partial_until', '=', from);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function createWatermark(db: Q, throughDay: number, now: number): Promise<void> {
  await db.insertInto('report_rollup').values({ name: ROLLUP_NAME, through_day: throughDay, updated_at: now }).execute();
}

/** Compare-and-set: false when another rollup moved the watermark meanwhile. */
export async function advanceWatermark(trx: Trx, from: number, to: number, now: number): Promise<boolean> {
  const res = await trx
    .updateTable('report_rollup')
    // The closed day's full rows replace its partial steps.
    .set({ through_day: to, partial_until: null, updated_at: now })
    .where('name', '=', ROLLUP_NAME)
    .where('through_day', '=', from)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** The first instant anything reportable happened: an entry (any kind) or a paid order. */
export async function firstActivity(db: Q): Promise<number | null> {
  let first: number | null = null;
  for (const kind of ENTRY_KINDS) {
    const row = await db
      .selectFrom('ledger_entry')
      .select((eb) => eb.fn.min<number | null>('created_at').as('t'))
      .where('kind', '=', kind)
      .executeTakeFirst();
    const t = row?.t === null || row?.t === undefined ? null : Number(row.t);
    if (t !== null && (first === null || t < first)) first = t;
  }
  for (const status of PAID_STATUSES) {
    const row = await db
      .selectFrom('pay_order')
      .select((eb) => eb.fn.min<number | null>('placed_at').as('t'))
      .where('status', '=', status)
      .executeTakeFirst();
    const t = row?.t === null || row?.t === undefined ? null : Number(row.t);
    if (t !== null && (first === null || t < first)) first = t;
  }
  return first;
}

// ---------------------------------------------------------------------------------------------
// Summary ∪ live: one derived table per source, for days [fromDay, toDay]

export interface DaySpan {
  /** null: from the beginning (a balance as of a day). */
  fromDay: number | null;
  toDay: number;
  /** The rollup's watermark; null before its first run. */
  watermark: number | null;
  /** The day after the watermark is summarised up to this instant (rows under partialKey); null: not. */
  partialUntil?: number | null;
}

/**
 * Where a span's figures come from: closed days' summary rows, the open day's partial step (when the
 * span reaches that day), and the ledger live from the end of what is summarised.
 */
export function spanSources(span: DaySpan): {
  closedThrough: number | null;
  partial: { day: number; key: number } | null;
  liveFromMs: number;
  liveToMs: number;
} {
  const w = span.watermark;
  const liveToMs = dayStartMs(span.toDay + 1);
  const fromMs = span.fromDay === null ? 0 : dayStartMs(span.fromDay);
  if (w === null) return { closedThrough: null, partial: null, liveFromMs: fromMs, liveToMs };
  const closedThrough = span.fromDay === null || span.fromDay <= w ? Math.min(w, span.toDay) : null;
  const p = span.partialUntil ?? null;
  const partialApplies = p !== null && span.toDay >= w + 1 && (span.fromDay === null || span.fromDay <= w + 1);
  return {
    closedThrough,
    partial: partialApplies ? { day: w + 1, key: partialKey(p) } : null,
    liveFromMs: Math.max(fromMs, partialApplies ? p : dayStartMs(w + 1)),
    liveToMs,
  };
}

function unified(
  db: Q,
  table: Exclude<SummaryTable, 'report_campaign_day'>,
  span: DaySpan,
  live: (fromMs: number, toMs: number) => AnyQuery,
): AnyQuery {
  const src = spanSources(span);
  const columns = SUMMARY_COLUMNS[table];
  const parts: AnyQuery[] = [];
  if (src.closedThrough !== null) {
    // `day >= 0`: partial steps have negative keys.
    const q = db
      .selectFrom(table)
      .select([...columns] as never)
      .where('day', '>=', span.fromDay ?? 0)
      .where('day', '<=', src.closedThrough) as AnyQuery;
    parts.push(q);
  }
  if (src.partial) {
    const { day, key } = src.partial;
    parts.push(
      db
        .selectFrom(table)
        .select([sql<number>`${day}`.as('day'), ...columns.filter((c) => c !== 'day')] as never)
        .where('day', '=', key) as AnyQuery,
    );
  }
  if (src.liveToMs > src.liveFromMs) parts.push(live(src.liveFromMs, src.liveToMs));
  if (parts.length === 0) parts.push(live(0, 0));
  const [head, ...rest] = parts as [AnyQuery, ...AnyQuery[]];
  return rest.reduce((u, q) => u.unionAll(q), head);
}

export function ledgerDays(db: Q, dialect: DialectName, span: DaySpan) {
  return db.selectFrom(unified(db, 'report_ledger_day', span, (a, b) => ledgerDaySelect(db, dialect, a, b)).as('t'));
}

export function lotDays(db: Q, dialect: DialectName, span: DaySpan) {
  return db.selectFrom(unified(db, 'report_lot_day', span, (a, b) => lotDaySelect(db, dialect, a, b)).as('t'));
}

export function tierDays(db: Q, dialect: DialectName, span: DaySpan, tierCodes: readonly string[]) {
  return db.selectFrom(unified(db, 'report_tier_day', span, (a, b) => tierDaySelect(db, dialect, tierCodes, a, b)).as('t'));
}

export function orderDays(db: Q, dialect: DialectName, span: DaySpan) {
  return db.selectFrom(unified(db, 'report_order_day', span, (a, b) => orderDaySelect(db, dialect, a, b)).as('t'));
}

export function campaignSummaryDays(db: Q, fromDay: number, toDay: number) {
  return db.selectFrom('report_campaign_day').selectAll().where('day', '>=', Math.max(0, fromDay)).where('day', '<=', toDay).execute();
}

/** A partial step's campaign rows, under the day they belong to. */
export async function campaignPartialRows(db: Q, day: number, key: number): Promise<CampaignDayRow[]> {
  const rows = await db.selectFrom('report_campaign_day').selectAll().where('day', '=', key).execute();
  return rows.map((r) => ({ ...r, day }));
}

// ---------------------------------------------------------------------------------------------
// Report queries

export interface Filters {
  programId?: number;
  brandId?: number;
  storeId?: number;
}

/** Adds the brand/store/program filters to a query over a unified source `t`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function filtered<T extends SelectQueryBuilder<any, any, any>>(
  q: T,
  f: Filters,
  brandColumn = 't.brand_id',
  storeColumn = 't.store_id',
): T {
  let r = q;
  if (f.programId !== undefined) r = r.where('t.program_id', '=', f.programId) as T;
  if (f.brandId !== undefined) r = r.where(brandColumn, '=', f.brandId) as T;
  if (f.storeId !== undefined) r = r.where(storeColumn, '=', f.storeId) as T;
  return r;
}

/**
 * Points by issuing program, brand and store over a span (a balance when fromDay is null), in the
 * order of their codes (ids are random): the grouped rows joined to the names once, in SQL, so the
 * answer still streams.
 */
export function lotBalances(db: Q, dialect: DialectName, span: DaySpan, f: Filters) {
  const grouped = filtered(lotDays(db, dialect, span), f)
    .select(['t.program_id', 't.brand_id', 't.store_id', sql<number>`sum(t.points)`.as('points')])
    .groupBy(['t.program_id', 't.brand_id', 't.store_id']);
  return db
    .selectFrom(grouped.as('g'))
    .leftJoin('program as p', 'p.id', 'g.program_id')
    .leftJoin('brand as b', 'b.id', 'g.brand_id')
    .leftJoin('store as s', 's.id', 'g.store_id')
    .select(['g.program_id', 'g.brand_id', 'g.store_id', 'g.points'])
    .orderBy('p.code')
    .orderBy('b.code')
    .orderBy('s.code');
}

/** Lot movements by day, program and kind (for the monthly liability movement), ordered by day. */
export function lotMovementByDay(db: Q, dialect: DialectName, span: DaySpan, f: Filters) {
  return filtered(lotDays(db, dialect, span), f)
    .select(['t.day', 't.program_id', 't.kind', sql<number>`sum(t.points)`.as('points')])
    .groupBy(['t.day', 't.program_id', 't.kind'])
    .orderBy('t.day')
    .orderBy('t.program_id')
    .orderBy('t.kind');
}

/** Points spent by (issuing brand, spending brand) over a span; store filters the issuing store. */
export function lotFlows(db: Q, dialect: DialectName, span: DaySpan, f: Filters) {
  let q = lotDays(db, dialect, span).where('t.kind', '=', 'spend');
  if (f.programId !== undefined) q = q.where('t.program_id', '=', f.programId);
  if (f.storeId !== undefined) q = q.where('t.store_id', '=', f.storeId);
  if (f.brandId !== undefined) {
    const brand = f.brandId;
    q = q.where((eb) => eb.or([eb('t.brand_id', '=', brand), eb('t.spender_brand_id', '=', brand)]));
  }
  const grouped = q
    .select(['t.program_id', 't.brand_id', 't.spender_brand_id', sql<number>`sum(t.points)`.as('points')])
    .groupBy(['t.program_id', 't.brand_id', 't.spender_brand_id']);
  return db
    .selectFrom(grouped.as('g'))
    .leftJoin('program as p', 'p.id', 'g.program_id')
    .leftJoin('brand as b', 'b.id', 'g.brand_id')
    .leftJoin('brand as sb', 'sb.id', 'g.spender_brand_id')
    .select(['g.program_id', 'g.brand_id', 'g.spender_brand_id', 'g.points'])
    .orderBy('p.code')
    .orderBy('b.code')
    .orderBy('sb.code');
}

/** Outstanding points per program from the ledger (available + pending + held) over a span. */
export function ledgerBalances(db: Q, dialect: DialectName, span: DaySpan, f: Filters) {
  return filtered(ledgerDays(db, dialect, span), f)
    .select(['t.program_id', sql<number>`sum(t.points + t.pending_delta + t.held_delta)`.as('points')])
    .groupBy(['t.program_id'])
    .orderBy('t.program_id');
}

/** Ledger movement by day, program and kind, ordered by day. */
export function ledgerByDay(db: Q, dialect: DialectName, span: DaySpan, f: Filters) {
  return filtered(ledgerDays(db, dialect, span), f)
    .select([
      't.day',
      't.program_id',
      't.kind',
      sql<number>`sum(t.points)`.as('points'),
      sql<number>`sum(t.pending_delta)`.as('pending_delta'),
      sql<number>`sum(t.held_delta)`.as('held_delta'),
    ])
    .groupBy(['t.day', 't.program_id', 't.kind'])
    .orderBy('t.day')
    .orderBy('t.program_id')
    .orderBy('t.kind');
}

/** Orders and amounts over days [fromDay, toDay] under the filters, optionally limited to brands/stores. */
export function orderTotals(
  db: Q,
  dialect: DialectName,
  span: DaySpan,
  f: Filters,
  scope: { brandIds?: readonly number[]; storeIds?: readonly number[] } = {},
) {
  let q = filtered(orderDays(db, dialect, span), f);
  if (scope.brandIds) q = q.where('t.brand_id', 'in', scope.brandIds.length ? scope.brandIds : [-1]);
  if (scope.storeIds) q = q.where('t.store_id', 'in', scope.storeIds.length ? scope.storeIds : [-1]);
  return q.select([sql<number>`coalesce(sum(t.orders), 0)`.as('orders'), sql<number>`coalesce(sum(t.amount_fen), 0)`.as('amount_fen')]);
}

/**
 * A period number for an epoch-ms column: the China day number, or for months the day number of
 * the first reported day of the month it falls in (a CASE over the month boundaries in range, so
 * distinct counts per month stay one GROUP BY on both dialects).
 */
export function periodSql(
  dialect: DialectName,
  column: Expression<number>,
  granularity: 'day' | 'month',
  months: ReadonlyArray<{ startDay: number }>,
): RawBuilder<number> {
  if (granularity === 'day' || months.length === 0) return chinaDaySql(dialect, column);
  const [first, ...rest] = months as [{ startDay: number }, ...Array<{ startDay: number }>];
  const branches = rest.map((m, i) => sql`when ${column} < ${dayStartMs(m.startDay)} then ${months[i]!.startDay} `);
  const last = months[months.length - 1] ?? first;
  return sql<number>`(case ${sql.join(branches, sql` `)}else ${last.startDay} end)`;
}

/** Paid orders in [fromMs, toMs) under the filters: the base of the member reports. */
function paidOrders(db: Q, fromMs: number, toMs: number, f: MemberFilters) {
  let q = db
    .selectFrom('pay_order as o')
    .where('o.status', 'in', PAID_STATUSES)
    .where('o.placed_at', '>=', fromMs)
    .where('o.placed_at', '<', toMs)
    .where('o.member_id', 'is not', null);
  if (f.programId !== undefined) q = q.where('o.program_id', '=', f.programId);
  if (f.brandId !== undefined) q = q.where('o.brand_id', '=', f.brandId);
  if (f.storeId !== undefined) q = q.where('o.store_id', '=', f.storeId);
  if (f.memberIds !== undefined) q = q.where('o.member_id', 'in', f.memberIds.length ? f.memberIds : [-1]);
  if (f.afterMember !== undefined) q = q.where('o.member_id', '>', f.afterMember);
  if (f.memberRange !== undefined) q = q.where('o.member_id', '>=', f.memberRange[0]).where('o.member_id', '<', f.memberRange[1]);
  return q;
}

/** The member reports' filters: the report's, and optionally some members only. */
export interface MemberFilters extends Filters {
  memberIds?: readonly number[];
  afterMember?: number;
  /** Members with ids in [lo, hi) only: a slice of the members, run beside the other slices. */
  memberRange?: readonly [number, number];
}

/**
 * Long ranges group every buying member's orders; on MySQL one statement does that on one core. Cut
 * by member id (ids are uniform random in [1, 2^53)), the slices run side by side on their own
 * connections and their sums add up: every member is in exactly one slice.
 */
export function memberSlices(dialect: DialectName, fromMs: number, toMs: number): Array<readonly [number, number] | undefined> {
  if (dialect !== 'mysql' || toMs - fromMs <= SHORT_RANGE_MS) return [undefined];
  return [
    [0, 2 ** 52],
    [2 ** 52, 2 ** 53],
  ];
}

/**
 * Ranges up to this long group their orders per member from the time-ordered covering index (only
 * the range is read, then sorted); longer ones read the member-ordered one whole, which groups as it
 * goes. Measured on MariaDB with 3.6M orders: a month 1.1 s against 2.3 s, a year 5.1 s against 3.4 s.
 */
export const SHORT_RANGE_MS = 92 * DAY_MS;

/**
 * One row per buying member: orders, net amount, first and last purchase in the range; with
 * `periodIndex` also `periods`, a bit per period the member bought in (`sum(distinct 1 << i)`: the
 * distinct powers of two add up to their bitwise or, on MySQL and SQLite alike).
 */
function buyers(db: Q, dialect: DialectName, fromMs: number, toMs: number, f: MemberFilters, periodIndex?: RawBuilder<number>) {
  const q = paidOrders(db, fromMs, toMs, f)
    .select([
      'o.member_id as member_id',
      sql<number>`count(*)`.as('orders'),
      sql<number>`sum(o.amount_fen - o.refunded_fen)`.as('amount_fen'),
      sql<number>`min(o.placed_at)`.as('first_at'),
      sql<number>`max(o.placed_at)`.as('last_at'),
      (periodIndex ? sql<number>`sum(distinct 1 << ${periodIndex})` : sql<number>`0`).as('periods'),
    ])
    .groupBy('o.member_id');
  if (dialect !== 'mysql') return q;
  // A few members (a page): by member. A short range: the range, grouped by sorting (SQL_BIG_RESULT:
  // a temporary table of a few hundred thousand groups would spill to disk). Else every order, by member.
  if (f.memberIds === undefined && f.afterMember === undefined && toMs - fromMs <= SHORT_RANGE_MS) {
    return forceIndex(
      dialect,
      q.modifyFront(sql`SQL_BIG_RESULT`) as AnyQuery,
      'pay_order',
      'o',
      'pay_order_period_report',
    ) as unknown as typeof q;
  }
  return forceIndex(dialect, q as AnyQuery, 'pay_order', 'o', 'pay_order_member_report') as unknown as typeof q;
}

/**
 * The ids of the next page of buying members, in id order: read from the member-ordered index, the
 * grouping stops after `limit` members, so a page costs the same whatever the range.
 */
export async function buyerIdsPage(
  db: Q,
  dialect: DialectName,
  fromMs: number,
  toMs: number,
  f: Filters,
  after: number | undefined,
  limit: number,
): Promise<number[]> {
  const q = paidOrders(db, fromMs, toMs, { ...f, ...(after !== undefined ? { afterMember: after } : {}) })
    .select('o.member_id')
    .groupBy('o.member_id')
    .orderBy('o.member_id')
    .limit(limit);
  const rows = await forceIndex(dialect, q as AnyQuery, 'pay_order', 'o', 'pay_order_member_report').execute();
  return rows.map((r) => Number((r as { member_id: number }).member_id));
}

/** The most periods whose buyers one statement counts as bits of a 64-bit integer. */
export const MAX_PERIOD_BITS = 62;

/**
 * Active members, repeat buyers and the pooled purchase interval over the range, and with
 * `period` (the index of an order's period, below MAX_PERIOD_BITS) the distinct buyers of each
 * period as `p0`, `p1`, …: one grouping of the orders by member serves both.
 */
export function buyerStats(
  db: Q,
  dialect: DialectName,
  fromMs: number,
  toMs: number,
  f: MemberFilters,
  period?: { index: (col: Expression<number>) => RawBuilder<number>; count: number },
) {
  const index = period ? period.index(sql.ref('o.placed_at')) : undefined;
  const bits = Array.from({ length: period?.count ?? 0 }, (_, k) =>
    sql<number>`coalesce(sum((t.periods >> ${sql.lit(k)}) & 1), 0)`.as(`p${k}`),
  );
  return db
    .selectFrom(buyers(db, dialect, fromMs, toMs, f, index).as('t'))
    .select([
      sql<number>`count(*)`.as('buyers'),
      sql<number>`coalesce(sum(case when t.orders >= 2 then 1 else 0 end), 0)`.as('repeaters'),
      sql<number>`coalesce(sum(case when t.orders >= 2 then t.last_at - t.first_at else 0 end), 0)`.as('span_ms'),
      sql<number>`coalesce(sum(case when t.orders >= 2 then t.orders - 1 else 0 end), 0)`.as('gaps'),
      ...bits,
    ]);
}

/** Identified members' paid orders and amounts per China day (the daily summary, then live). */
export function memberOrdersByDay(db: Q, dialect: DialectName, span: DaySpan, f: Filters) {
  return filtered(orderDays(db, dialect, span), f)
    .select(['t.day', sql<number>`sum(t.member_orders)`.as('orders'), sql<number>`sum(t.member_amount_fen)`.as('amount_fen')])
    .groupBy('t.day');
}

/**
 * The 0-based index of the period an epoch-ms column falls in: days from the first, or the month
 * (a CASE over the month boundaries, like periodSql).
 */
export function periodIndexSql(
  dialect: DialectName,
  column: Expression<number>,
  granularity: 'day' | 'month',
  fromDay: number,
  months: ReadonlyArray<{ startDay: number }>,
): RawBuilder<number> {
  if (granularity === 'day' || months.length === 0) return sql<number>`(${chinaDaySql(dialect, column)} - ${sql.lit(fromDay)})`;
  const branches = months.slice(1).map((m, i) => sql`when ${column} < ${sql.lit(dayStartMs(m.startDay))} then ${sql.lit(i)} `);
  return sql<number>`(case ${sql.join(branches, sql` `)}else ${sql.lit(months.length - 1)} end)`;
}

/** Distinct buying members, orders and amount per period. */
export function buyersByPeriod(
  db: Q,
  dialect: DialectName,
  fromMs: number,
  toMs: number,
  f: Filters,
  period: (col: Expression<number>) => RawBuilder<number>,
) {
  const q = paidOrders(db, fromMs, toMs, f)
    .select([
      period(sql.ref('o.placed_at')).as('period'),
      sql<number>`count(distinct o.member_id)`.as('buyers'),
      sql<number>`count(*)`.as('orders'),
      sql<number>`sum(o.amount_fen)`.as('amount_fen'),
    ])
    .groupBy('period')
    .orderBy('period');
  return forceIndex(dialect, q as AnyQuery, 'pay_order', 'o', 'pay_order_period_report') as unknown as typeof q;
}

/** Members who joined per period (group-wide: a member belongs to no brand). */
export function newMembersByPeriod(db: Q, fromMs: number, toMs: number, period: (col: Expression<number>) => RawBuilder<number>) {
  return db
    .selectFrom('member as m')
    .select([period(sql.ref('m.created_at')).as('period'), sql<number>`count(*)`.as('members')])
    .where('m.created_at', '>=', fromMs)
    .where('m.created_at', '<', toMs)
    .groupBy('period')
    .orderBy('period');
}

/** Accounts per program and tier now. */
export function tierDistribution(db: Q, f: Filters) {
  let q = db.selectFrom('account as a').select(['a.program_id', 'a.tier_code', sql<number>`count(*)`.as('members')]);
  if (f.programId !== undefined) q = q.where('a.program_id', '=', f.programId);
  const grouped = q.groupBy(['a.program_id', 'a.tier_code']);
  return db
    .selectFrom(grouped.as('g'))
    .leftJoin('program as p', 'p.id', 'g.program_id')
    .select(['g.program_id', 'g.tier_code', 'g.members'])
    .orderBy('p.code')
    .orderBy('g.tier_code');
}

/** Tier changes in the range by program and (from, to) ('' for a first tier). */
export function tierMoves(db: Q, dialect: DialectName, span: DaySpan, tierCodes: readonly string[], f: Filters) {
  let q = tierDays(db, dialect, span, tierCodes);
  if (f.programId !== undefined) q = q.where('t.program_id', '=', f.programId);
  const grouped = q
    .select(['t.program_id', 't.from_code', 't.to_code', sql<number>`sum(t.members)`.as('members')])
    .groupBy(['t.program_id', 't.from_code', 't.to_code']);
  return db
    .selectFrom(grouped.as('g'))
    .leftJoin('program as p', 'p.id', 'g.program_id')
    .select(['g.program_id', 'g.from_code', 'g.to_code', 'g.members'])
    .orderBy('p.code')
    .orderBy('g.from_code')
    .orderBy('g.to_code');
}

// ---------------------------------------------------------------------------------------------
// RFM

/** Fixed thresholds: deterministic, explainable, and checkable by hand (no quantiles to sort for). */
export const RFM = {
  /** R: last purchase within 30 days → 3, within 90 → 2, else 1. */
  recentMs: 30 * DAY_MS,
  lapsingMs: 90 * DAY_MS,
  /** F: 5+ orders → 3, 2+ → 2, else 1. */
  frequent: 5,
  repeat: 2,
  /** M (net fen): ￥1,000+ → 3, ￥200+ → 2, else 1. */
  bigFen: 100_000,
  midFen: 20_000,
  /** Red: no purchase and no points activity for this long. */
  quietMs: 30 * DAY_MS,
} as const;

export const RFM_SEGMENTS = ['champions', 'loyal', 'new', 'promising', 'at_risk', 'lost'] as const;

/**
 * Each buying member of the range with R/F/M scores, the segment, and the churn warning:
 * red — no purchase and no points activity (an earn, spend, hold or exchange) in the 30 days before
 * `endMs`; yellow — otherwise, at least two purchases and the gap since the last one longer than
 * 1.5 × their mean interval: 2·(end − last)·(n − 1) > 3·(last − first), in integers.
 */
export function rfmMembers(db: Q, dialect: DialectName, fromMs: number, endMs: number, f: MemberFilters, rollup: RollupSpan) {
  const end = endMs;
  const r = sql`(case when t.last_at > ${endMs - RFM.recentMs} then 3 when t.last_at > ${endMs - RFM.lapsingMs} then 2 else 1 end)`;
  const fr = sql`(case when t.orders >= ${RFM.frequent} then 3 when t.orders >= ${RFM.repeat} then 2 else 1 end)`;
  const m = sql`(case when t.amount_fen >= ${RFM.bigFen} then 3 when t.amount_fen >= ${RFM.midFen} then 2 else 1 end)`;
  const quietSince = endMs - RFM.quietMs;
  // Activity in [quietSince, end): the rollup's active days as far as they go, the ledger after that
  // (members active there gathered once, not looked for member by member).
  const w = rollup.watermark;
  const coveredDay = w === null ? null : rollup.partialUntil ? w + 1 : w;
  const firstDay = dayOfMs(quietSince);
  const lastDay = coveredDay === null ? null : Math.min(dayOfMs(end) - 1, coveredDay);
  const liveFrom = w === null ? quietSince : Math.max(quietSince, rollup.partialUntil ?? dayStartMs(w + 1));
  // For every buyer of a range both sets are gathered once and joined (measured: 2.3 s against 4.0 s
  // for a probe per buyer of a year); for a page of members, a probe each is cheaper.
  // A range of 30 days or less: every buyer bought within the quiet period, nobody can be red.
  const someQuiet = fromMs < quietSince;
  const days = someQuiet && lastDay !== null && lastDay >= firstDay;
  const probe = f.memberIds !== undefined || endMs - fromMs <= SHORT_RANGE_MS;
  const live = someQuiet && liveFrom < end;
  const onDays = !days
    ? sql``
    : probe
      ? sql`when exists (select 1 from report_member_active_day d
          where d.member_id = t.member_id and d.day >= ${firstDay} and d.day <= ${lastDay}) then 0`
      : sql`when ad.member_id is not null then 0`;
  const red = sql`(case when t.last_at >= ${quietSince} then 0 ${onDays}
      ${live ? sql`when la.member_id is not null then 0` : sql``} else 1 end)`;
  const yellow = sql`(case when t.orders >= 2 and 2 * (${end} - t.last_at) * (t.orders - 1) > 3 * (t.last_at - t.first_at) then 1 else 0 end)`;
  let from = db.selectFrom(buyers(db, dialect, fromMs, endMs, f).as('t'));
  if (days && !probe) {
    let activeOnDays = db
      .selectFrom('report_member_active_day as d')
      .select('d.member_id')
      .distinct()
      .where('d.day', '>=', firstDay)
      .where('d.day', '<=', lastDay);
    if (f.memberRange !== undefined)
      activeOnDays = activeOnDays.where('d.member_id', '>=', f.memberRange[0]).where('d.member_id', '<', f.memberRange[1]);
    from = from.leftJoin(activeOnDays.as('ad'), 'ad.member_id', 't.member_id') as unknown as typeof from;
  }
  if (live) {
    const activeNow = byKindAndTime(
      dialect,
      db
        .selectFrom('ledger_entry as e')
        .innerJoin('account as a', 'a.id', 'e.account_id')
        .select('a.member_id as member_id')
        .where('e.kind', 'in', MEMBER_ACTIVITY_KINDS)
        .where('e.created_at', '>=', liveFrom)
        .where('e.created_at', '<', end)
        .groupBy('a.member_id') as AnyQuery,
    );
    from = from.leftJoin(activeNow.as('la'), 'la.member_id', 't.member_id') as unknown as typeof from;
  }
  const inner = from.select([
    't.member_id',
    't.orders',
    't.amount_fen',
    't.first_at',
    't.last_at',
    r.as('r'),
    fr.as('f'),
    m.as('m'),
    red.as('red'),
    yellow.as('yellow'),
  ]);
  const segment = sql<string>`(case
      when s.r = 3 and s.f = 3 then 'champions'
      when s.r >= 2 and s.f >= 2 then 'loyal'
      when s.r = 3 then 'new'
      when s.r = 2 then 'promising'
      when s.f >= 2 then 'at_risk'
      else 'lost' end)`;
  return db
    .selectFrom(inner.as('s'))
    .select([
      's.member_id',
      's.orders',
      's.amount_fen',
      's.first_at',
      's.last_at',
      's.r',
      's.f',
      's.m',
      segment.as('segment'),
      sql<string | null>`(case when s.red = 1 then 'red' when s.yellow = 1 then 'yellow' else null end)`.as('churn'),
    ]);
}

/** What the rollup covers: closed days through `watermark`, the next up to `partialUntil`. */
export interface RollupSpan {
  watermark: number | null;
  partialUntil?: number | null;
}

/** Members, churn warnings and averages per segment (of a slice of the members, with `memberRange`). */
export function rfmSegments(db: Q, dialect: DialectName, fromMs: number, endMs: number, f: MemberFilters, rollup: RollupSpan) {
  return db
    .selectFrom(rfmMembers(db, dialect, fromMs, endMs, f, rollup).as('x'))
    .select([
      'x.segment',
      sql<number>`count(*)`.as('members'),
      sql<number>`sum(case when x.churn = 'yellow' then 1 else 0 end)`.as('yellow'),
      sql<number>`sum(case when x.churn = 'red' then 1 else 0 end)`.as('red'),
      sql<number>`sum(${endMs} - x.last_at)`.as('recency_ms'),
      sql<number>`sum(x.orders)`.as('orders'),
      sql<number>`sum(x.amount_fen)`.as('amount_fen'),
    ])
    .groupBy('x.segment')
    .orderBy('x.segment');
}

/** The member list, by member id, optionally after a cursor and with the member's personal columns. */
export function rfmMemberList(
  db: Q,
  dialect: DialectName,
  fromMs: number,
  endMs: number,
  f: MemberFilters,
  rollup: RollupSpan,
  page: { after?: number; limit?: number },
  personal: boolean,
) {
  let q = db.selectFrom(rfmMembers(db, dialect, fromMs, endMs, f, rollup).as('x')).selectAll('x');
  if (personal) q = q.leftJoin('member as mm', 'mm.id', 'x.member_id').select(['mm.phone_enc', 'mm.name']) as unknown as typeof q;
  if (page.after !== undefined) q = q.where('x.member_id', '>', page.after);
  q = q.orderBy('x.member_id');
  if (page.limit !== undefined) q = q.limit(page.limit);
  return q;
}

// ---------------------------------------------------------------------------------------------
// NPS

export function npsByPeriod(db: Q, fromMs: number, toMs: number, f: Filters, period: (col: Expression<number>) => RawBuilder<number>) {
  return npsBase(db, fromMs, toMs, f)
    .select([period(sql.ref('n.created_at')).as('period'), ...npsCounts()])
    .groupBy('period')
    .orderBy('period');
}

export function npsByBrand(db: Q, fromMs: number, toMs: number, f: Filters) {
  const grouped = npsBase(db, fromMs, toMs, f)
    .select(['n.brand_id', ...npsCounts()])
    .groupBy('n.brand_id');
  return db
    .selectFrom(grouped.as('g'))
    .leftJoin('brand as b', 'b.id', 'g.brand_id')
    .select(['g.brand_id', 'g.responses', 'g.promoters', 'g.detractors'])
    .orderBy('b.code');
}

function npsBase(db: Q, fromMs: number, toMs: number, f: Filters) {
  let q = db.selectFrom('nps_response as n').where('n.created_at', '>=', fromMs).where('n.created_at', '<', toMs);
  if (f.brandId !== undefined) q = q.where('n.brand_id', '=', f.brandId);
  if (f.storeId !== undefined) q = q.where('n.store_id', '=', f.storeId);
  return q;
}

function npsCounts() {
  return [
    sql<number>`count(*)`.as('responses'),
    sql<number>`sum(case when n.score >= 9 then 1 else 0 end)`.as('promoters'),
    sql<number>`sum(case when n.score <= 6 then 1 else 0 end)`.as('detractors'),
  ] as const;
}

// ---------------------------------------------------------------------------------------------
// Reference data

export function listBrandsAndStores(db: Q) {
  return Promise.all([
    db.selectFrom('program').select(['id', 'code', 'name', 'point_value_fen', 'tier_set']).execute(),
    db.selectFrom('brand').select(['id', 'code', 'name', 'program_id']).execute(),
    db.selectFrom('store').select(['id', 'code', 'name', 'brand_id']).execute(),
  ]);
}

export function publishedRuleSets(db: Q, programIds: readonly number[]) {
  return db
    .selectFrom('rule_set')
    .select(['id', 'program_id', 'brand_id', 'version', 'rules'])
    .where('program_id', 'in', programIds.length ? programIds : [-1])
    .where('status', '=', 'published')
    .orderBy('version')
    .execute();
}
