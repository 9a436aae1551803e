/**
 * `pnpm jifen bench reports`: seeds a group of --members members (1,000,000) and about --entries
 * ledger entries (10,000,000) in a database of its own (`<db>_bench_reports`, dropped at the end
 * unless --keep; --reuse runs again on a kept one), runs the reports' rollup job, then times every
 * report through the real HTTP server beside a bare-database floor — the very SQL statements the
 * report ran, captured and replayed side by side on mysql2 in the same run — and measures the memory
 * of a full CSV export of the biggest report (the RFM member list) at two sizes.
 *
 * The data is a year of trading: members who joined over two years (each with a signup grant),
 * orders at their home brand and sometimes another (cross-brand), part-paid with points, refunds
 * within the return window, pending points released after 7 days, lots expiring after 6 or 12
 * months, tier upgrades, campaign points in the rules trace, NPS answers to one order in seven. It
 * is written as the ledger would have written it (lots, movements, running balances), with
 * multi-row INSERTs.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_TIERS, RuleSetSchema, chinaLocalParts, expiresAt, toIsoUtc } from '@jifen/shared';
import type { ExpiryPolicy, RuleSetInput } from '@jifen/shared';
import type {
  CompiledQuery,
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { createPool } from 'mysql2/promise';
import type { Pool } from 'mysql2/promise';
import { loadConfig } from '../config.js';
import type { Db } from '../db/connect.js';
import { openDatabase } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { buildReport, reportContext } from '../commands/reports.js';
import { rollupReports } from '../commands/report-rollup.js';
import { createLogger } from '../logger.js';
import { startServer } from '../server.js';
import { sha256 } from '../lib/crypto.js';
import { intOption, setupBenchDb } from './common.js';
import type { BenchDb } from './common.js';
import { REPORT_NAMES } from '@jifen/shared';
import type { ReportName } from '@jifen/shared';

const DAY = 86_400_000;
const TARGET_MS = 2_000;

interface Options {
  members: number;
  entries: number;
  keep: boolean;
  reuse: boolean;
  repeats: number;
  url: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      members: { type: 'string', default: '1000000' },
      entries: { type: 'string', default: '10000000' },
      keep: { type: 'boolean', default: false },
      reuse: { type: 'boolean', default: false },
      repeats: { type: 'string', default: '3' },
    },
  });
  return {
    members: intOption('members', values.members, 100),
    entries: intOption('entries', values.entries, 1000),
    keep: values.keep === true,
    reuse: values.reuse === true,
    repeats: intOption('repeats', values.repeats, 1),
    url: process.env.DATABASE_URL ?? 'sqlite:./data/bench.sqlite',
  };
}

// ---------------------------------------------------------------------------------------------
// Bulk writing

/** Multi-row INSERTs, a few in flight at once; add() waits when the database falls behind. */
class BulkWriter {
  private readonly buffers = new Map<string, unknown[][]>();
  private readonly inFlight = new Set<Promise<void>>();
  readonly written = new Map<string, number>();
  constructor(
    private readonly sink: (table: string, columns: readonly string[], rows: unknown[][]) => Promise<void>,
    private readonly columns: Record<string, readonly string[]>,
    private readonly batch: number,
    private readonly parallel: number,
  ) {}

  async add(table: string, row: unknown[]): Promise<void> {
    let buf = this.buffers.get(table);
    if (!buf) this.buffers.set(table, (buf = []));
    buf.push(row);
    if (buf.length >= this.batch) await this.flushTable(table);
  }

  private async flushTable(table: string): Promise<void> {
    const rows = this.buffers.get(table);
    if (!rows || rows.length === 0) return;
    this.buffers.set(table, []);
    while (this.inFlight.size >= this.parallel) await Promise.race(this.inFlight);
    const p = this.sink(table, this.columns[table]!, rows).then(() => {
      this.written.set(table, (this.written.get(table) ?? 0) + rows.length);
    });
    const tracked = p.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  async close(): Promise<void> {
    for (const table of this.buffers.keys()) await this.flushTable(table);
    await Promise.all(this.inFlight);
  }
}

const COLUMNS = {
  member: [
    'id',
    'openid',
    'unionid',
    'phone_enc',
    'phone_hash',
    'name',
    'birthday',
    'consent_version',
    'referral_code',
    'referred_by',
    'status',
    'created_at',
  ],
  account: [
    'id',
    'member_id',
    'program_id',
    'available',
    'pending',
    'held',
    'lifetime_earned',
    'growth',
    'tier_code',
    'tier_since',
    'tier_warned_at',
    'entry_seq',
    'updated_at',
  ],
  ledger_entry: [
    'account_id',
    'entry_seq',
    'id',
    'idem_hash',
    'input_hash',
    'kind',
    'points',
    'pending_delta',
    'held_delta',
    'growth_delta',
    'available_after',
    'pending_after',
    'held_after',
    'lot_id',
    'ref_entry_id',
    'order_ref',
    'reason',
    'trace',
    'actor',
    'created_at',
  ],
  lot: ['id', 'account_id', 'source_entry_id', 'original', 'remaining', 'status', 'earned_at', 'release_at', 'expires_at', 'spend_order'],
  lot_movement: ['id', 'account_id', 'lot_id', 'entry_id', 'kind', 'points', 'excused'],
  hold: ['id', 'account_id', 'points', 'status', 'hold_entry_id', 'settle_entry_id', 'created_at'],
  tier_history: ['id', 'account_id', 'from_code', 'to_code', 'reason', 'created_at'],
  pay_order: [
    'id',
    'out_trade_no',
    'client_order_id',
    'channel',
    'terminal_id',
    'store_id',
    'brand_id',
    'program_id',
    'member_id',
    'payment_method',
    'status',
    'description',
    'lines',
    'amount_fen',
    'points_paid',
    'points_paid_fen',
    'payable_fen',
    'hold_id',
    'rule_set_id',
    'code_url',
    'prepay_id',
    'transaction_id',
    'payer_openid',
    'payer_total_fen',
    'coupon_fen',
    'earn_entry_id',
    'points_earned',
    'refunded_fen',
    'flag',
    'placed_at',
    'expires_at',
    'paid_at',
    'updated_at',
  ],
  nps_response: ['id', 'member_id', 'order_id', 'brand_id', 'store_id', 'score', 'comment', 'answer_key', 'created_at'],
  refund: [
    'id',
    'out_refund_no',
    'order_id',
    'amount_fen',
    'wechat_fen',
    'points_returned',
    'points_reversed',
    'status',
    'reason',
    'lines',
    'requested_by',
    'wechat_refund_id',
    'created_at',
    'settled_at',
  ],
} as const;

function mysqlSink(pool: Pool) {
  return async (table: string, columns: readonly string[], rows: unknown[][]) => {
    await pool.query(`insert into \`${table}\` (${columns.map((c) => `\`${c}\``).join(', ')}) values ?`, [rows]);
  };
}

function kyselySink(db: Db) {
  return async (table: string, columns: readonly string[], rows: unknown[][]) => {
    const objects = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
    for (let i = 0; i < objects.length; i += 200) {
      await db.kysely
        .insertInto(table as 'member')
        .values(objects.slice(i, i + 200) as never)
        .execute();
    }
  };
}

// ---------------------------------------------------------------------------------------------
// The data set

/** A small fast PRNG (mulberry32): the same data set for the same options. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Unique, random-looking 53-bit ids: an odd multiplier permutes [0, 2^53). */
const MULT = 0x5deece66dn * 2n + 1n;
const MASK53 = (1n << 53n) - 1n;
let idSeq = BigInt(Date.now()) << 8n;
function nextId(): number {
  idSeq += 1n;
  return Number((idSeq * MULT) & MASK53) || 1;
}

let hashPool = Buffer.alloc(0);
let hashAt = 0;
function randomHash(): Buffer {
  if (hashAt + 32 > hashPool.length) {
    hashPool = randomBytes(32 * 65_536);
    hashAt = 0;
  }
  const b = hashPool.subarray(hashAt, hashAt + 32);
  hashAt += 32;
  return b;
}
const INPUT_HASH = sha256('bench-reports');

interface Program {
  id: number;
  code: string;
  pointValueFen: number;
  expiry: ExpiryPolicy;
  ruleSetId: number;
  brands: Array<{ id: number; code: string; stores: number[] }>;
}

interface Lot {
  id: number;
  remaining: number;
  status: 'pending' | 'available';
  expiresAt: number;
  sourceEntryId: number;
  refunded: boolean;
}

const TIER_STEPS = DEFAULT_TIERS.tiers.map((t) => ({ code: t.code, min: t.minGrowth }));
const SUMMER = { from: 0, to: 0, brands: new Set(['FRESH', 'TEA']) };

async function seedReference(db: Db, now: number): Promise<Program[]> {
  const k = db.kysely;
  const tiers = JSON.stringify(DEFAULT_TIERS);
  const programs: Program[] = [
    {
      id: nextId(),
      code: 'JIFEN',
      pointValueFen: 100,
      expiry: { kind: 'months_after_earning', months: 6 },
      ruleSetId: nextId(),
      brands: ['FRESH', 'TEA', 'BAKERY', 'MART'].map((code) => ({ id: nextId(), code, stores: [] })),
    },
    {
      id: nextId(),
      code: 'SPORT',
      pointValueFen: 50,
      expiry: { kind: 'months_after_earning', months: 12 },
      ruleSetId: nextId(),
      brands: ['SPORTS', 'OUTDOOR'].map((code) => ({ id: nextId(), code, stores: [] })),
    },
  ];
  SUMMER.from = now - 200 * DAY;
  SUMMER.to = now - 140 * DAY;
  for (const [i, p] of programs.entries()) {
    await k
      .insertInto('program')
      .values({
        id: p.id,
        code: p.code,
        name: p.code,
        point_value_fen: p.pointValueFen,
        expiry_policy: JSON.stringify(p.expiry),
        return_window_days: 7,
        tier_set: tiers,
        is_default: i === 0 ? 1 : 0,
        created_at: now - 800 * DAY + i,
      })
      .execute();
    const rules: RuleSetInput =
      p.code === 'JIFEN'
        ? {
            campaigns: [
              {
                id: 'member-day',
                name: '会员日双倍积分',
                startsAt: toIsoUtc(now - 900 * DAY),
                endsAt: toIsoUtc(now + 900 * DAY),
                weekdays: [3],
                multiplierPercent: 200,
              },
              {
                id: 'summer',
                name: '夏日双倍',
                startsAt: toIsoUtc(SUMMER.from),
                endsAt: toIsoUtc(SUMMER.to),
                brandCodes: ['FRESH', 'TEA'],
                multiplierPercent: 200,
              },
            ],
          }
        : {};
    await k
      .insertInto('rule_set')
      .values({
        id: p.ruleSetId,
        program_id: p.id,
        brand_id: 0,
        version: 1,
        rules: JSON.stringify(RuleSetSchema.parse(rules)),
        status: 'published',
        effective_from: now - 900 * DAY,
        created_at: now - 900 * DAY,
        created_by: 'bench',
      })
      .execute();
    for (const b of p.brands) {
      await k
        .insertInto('brand')
        .values({ id: b.id, code: b.code, name: b.code, program_id: p.id, created_at: now - 800 * DAY })
        .execute();
      for (let s = 0; s < 10; s++) {
        const id = nextId();
        b.stores.push(id);
        await k
          .insertInto('store')
          .values({
            id,
            code: `${b.code}-${String(s + 1).padStart(2, '0')}`,
            name: `${b.code} ${s + 1}`,
            brand_id: b.id,
            address: '',
            created_at: now - 800 * DAY,
          })
          .execute();
      }
    }
  }
  return programs;
}

/**
 * Writes one member's two years: signup grant, orders, holds, refunds, releases, expiries, tiers.
 * Returns the entries written. Events are processed in time order so balances stay true.
 */
async function seedMember(w: BulkWriter, rnd: () => number, p: Program, now: number, meanOrders: number, index: number): Promise<number> {
  const memberId = nextId();
  const created = now - Math.floor(rnd() * 730 * DAY) - DAY;
  await w.add('member', [
    memberId,
    null,
    null,
    null,
    null,
    null,
    null,
    null,
    `B${index.toString(36).toUpperCase().padStart(9, '0')}`,
    null,
    'active',
    created,
  ]);
  const account = { id: nextId(), available: 0, pending: 0, held: 0, lifetime: 0, growth: 0, tier: 'bronze', tierSince: created, seq: 0 };
  const lots: Lot[] = [];
  let entries = 0;
  const entry = async (
    kind: string,
    at: number,
    d: {
      points?: number;
      pending?: number;
      held?: number;
      growth?: number;
      lotId?: number | null;
      ref?: number | null;
      order?: string | null;
      trace?: string | null;
    },
  ) => {
    const id = nextId();
    account.available += d.points ?? 0;
    account.pending += d.pending ?? 0;
    account.held += d.held ?? 0;
    account.growth += d.growth ?? 0;
    account.seq += 1;
    entries += 1;
    await w.add('ledger_entry', [
      account.id,
      account.seq,
      id,
      randomHash(),
      INPUT_HASH,
      kind,
      d.points ?? 0,
      d.pending ?? 0,
      d.held ?? 0,
      d.growth ?? 0,
      account.available,
      account.pending,
      account.held,
      d.lotId ?? null,
      d.ref ?? null,
      d.order ?? null,
      'bench',
      d.trace ?? null,
      null,
      at,
    ]);
    return id;
  };
  const newLot = async (entryId: number, points: number, at: number, pending: boolean): Promise<Lot> => {
    const lot: Lot = {
      id: nextId(),
      remaining: points,
      status: pending ? 'pending' : 'available',
      expiresAt: Date.parse(expiresAt(p.expiry, toIsoUtc(at))!),
      sourceEntryId: entryId,
      refunded: false,
    };
    lots.push(lot);
    return lot;
  };
  const lotRows: Array<{ lot: Lot; original: number; earnedAt: number; releaseAt: number | null }> = [];
  const movement = (lotId: number, entryId: number, kind: string, points: number) =>
    w.add('lot_movement', [nextId(), account.id, lotId, entryId, kind, points, 0]);

  // Scheduled events (release, refund, expire), kept sorted by time.
  type Scheduled = { at: number; run: () => Promise<void> };
  const scheduled: Scheduled[] = [];
  const schedule = (at: number, run: () => Promise<void>) => {
    if (at > now) return;
    let i = scheduled.length;
    while (i > 0 && scheduled[i - 1]!.at > at) i--;
    scheduled.splice(i, 0, { at, run });
  };
  const runUntil = async (t: number) => {
    while (scheduled.length && scheduled[0]!.at <= t) await scheduled.shift()!.run();
  };
  const scheduleExpiry = (lot: Lot) =>
    schedule(lot.expiresAt, async () => {
      if (lot.remaining <= 0 || lot.status !== 'available') return;
      const pts = lot.remaining;
      lot.remaining = 0;
      const id = await entry('expire', lot.expiresAt, { points: -pts, lotId: lot.id });
      await movement(lot.id, id, 'expire', -pts);
    });

  // Signup grant.
  const grantId = nextId();
  account.seq += 1;
  account.available += 100;
  account.lifetime += 100;
  entries += 1;
  const grantLot = await newLot(grantId, 100, created, false);
  lotRows.push({ lot: grantLot, original: 100, earnedAt: created, releaseAt: null });
  await w.add('ledger_entry', [
    account.id,
    account.seq,
    grantId,
    randomHash(),
    INPUT_HASH,
    'grant',
    100,
    0,
    0,
    0,
    100,
    0,
    0,
    grantLot.id,
    null,
    null,
    'bench',
    null,
    null,
    created,
  ]);
  scheduleExpiry(grantLot);

  // Orders, over the last year (or since joining).
  const home = p.brands[Math.floor(rnd() * p.brands.length)]!;
  const orderCount = Math.min(80, Math.round(meanOrders * -Math.log(1 - rnd())));
  const since = Math.max(created, now - 365 * DAY);
  const times = Array.from({ length: orderCount }, () => since + Math.floor(rnd() * (now - since))).sort((a, b) => a - b);
  for (const t of times) {
    await runUntil(t);
    const brand = rnd() < 0.75 ? home : p.brands[Math.floor(rnd() * p.brands.length)]!;
    const storeId = brand.stores[Math.floor(rnd() * brand.stores.length)]!;
    const yuan = 10 + Math.floor(rnd() * 490);
    const orderId = nextId();
    const outTradeNo = `B${orderId.toString(36).toUpperCase()}`;
    // Pay up to 30% with points, one order in five, when there are enough.
    let pointsPaid = 0;
    if (account.available >= 200 && rnd() < 0.2) {
      pointsPaid = Math.min(account.available, Math.floor((yuan * 30 * 100) / p.pointValueFen));
      if (p.pointValueFen === 50) pointsPaid -= pointsPaid % 2;
    }
    const pointsPaidFen = (pointsPaid * p.pointValueFen) / 100;
    let holdId: number | null = null;
    if (pointsPaid > 0) {
      holdId = await entry('hold', t, { points: -pointsPaid, held: pointsPaid, order: outTradeNo });
      let left = pointsPaid;
      for (const lot of lots.filter((l) => l.status === 'available' && l.remaining > 0).sort((a, b) => a.expiresAt - b.expiresAt)) {
        if (left === 0) break;
        const take = Math.min(left, lot.remaining);
        lot.remaining -= take;
        left -= take;
        await movement(lot.id, holdId, 'hold', -take);
      }
      const confirmId = await entry('hold_confirm', t + 1000, { held: -pointsPaid, ref: holdId, order: outTradeNo });
      await w.add('hold', [holdId, account.id, pointsPaid, 'confirmed', holdId, confirmId, t]);
    }
    const eligibleYuan = Math.floor((yuan * 100 - pointsPaidFen) / 100);
    const steps: Array<{ rule: string; points: number; text: string }> = [
      { rule: 'base', points: eligibleYuan, text: `消费￥${eligibleYuan}.00，基础积分${eligibleYuan}` },
    ];
    if (p.code === 'JIFEN') {
      if (chinaLocalParts(toIsoUtc(t)).weekday === 3)
        steps.push({ rule: 'campaign', points: eligibleYuan, text: `会员日双倍积分 +${eligibleYuan}` });
      if (t >= SUMMER.from && t < SUMMER.to && SUMMER.brands.has(brand.code))
        steps.push({ rule: 'campaign', points: eligibleYuan, text: `夏日双倍 +${eligibleYuan}` });
    }
    const points = steps.reduce((s, x) => s + x.points, 0);
    const earnId = nextId();
    const lot = await newLot(earnId, points, t, true);
    lotRows.push({ lot, original: points, earnedAt: t, releaseAt: t + 7 * DAY });
    account.seq += 1;
    account.pending += points;
    account.growth += eligibleYuan;
    account.lifetime += points;
    entries += 1;
    await w.add('ledger_entry', [
      account.id,
      account.seq,
      earnId,
      randomHash(),
      INPUT_HASH,
      'earn',
      0,
      points,
      0,
      eligibleYuan,
      account.available,
      account.pending,
      account.held,
      lot.id,
      null,
      outTradeNo,
      'bench',
      steps.length > 1 ? JSON.stringify({ ruleSetVersion: 1, steps }) : null,
      null,
      t + 2000,
    ]);
    const tier = [...TIER_STEPS].reverse().find((s) => account.growth >= s.min)!.code;
    if (tier !== account.tier) {
      await w.add('tier_history', [nextId(), account.id, account.tier, tier, 'upgrade', t + 2000]);
      account.tier = tier;
      account.tierSince = t;
    }
    // About one order in seven gets an answer to the NPS question the mini-program asks after it.
    if (rnd() < 0.15 && t + 3_600_000 <= now) {
      const r = rnd();
      const score = r < 0.5 ? 9 + Math.floor(rnd() * 2) : r < 0.75 ? 7 + Math.floor(rnd() * 2) : Math.floor(rnd() * 7);
      await w.add('nps_response', [
        nextId(),
        memberId,
        orderId,
        brand.id,
        storeId,
        score,
        null,
        `${memberId}:order:${orderId}`,
        t + 3_600_000,
      ]);
    }
    const refunded = pointsPaid === 0 && rnd() < 0.05 && t + 2 * DAY <= now;
    await w.add('pay_order', [
      orderId,
      outTradeNo,
      null,
      'pos',
      null,
      storeId,
      brand.id,
      p.id,
      memberId,
      'cash',
      refunded ? 'refunded' : 'paid',
      'bench',
      '[]',
      yuan * 100,
      pointsPaid,
      pointsPaidFen,
      yuan * 100 - pointsPaidFen,
      holdId,
      p.ruleSetId,
      null,
      null,
      null,
      null,
      yuan * 100 - pointsPaidFen,
      0,
      earnId,
      points,
      refunded ? yuan * 100 : 0,
      null,
      t,
      t + 900_000,
      t + 1000,
      refunded ? t + 2 * DAY : t + 2000,
    ]);
    if (refunded) {
      schedule(t + 2 * DAY, async () => {
        lot.remaining = 0;
        lot.refunded = true;
        lot.status = 'available';
        account.lifetime -= points;
        const id = await entry('reverse', t + 2 * DAY, { pending: -points, growth: -eligibleYuan, ref: earnId, order: outTradeNo });
        await movement(lot.id, id, 'reverse', -points);
        await w.add('refund', [
          nextId(),
          `R${orderId.toString(36)}`,
          orderId,
          yuan * 100,
          yuan * 100,
          0,
          points,
          'success',
          '退货',
          null,
          'bench',
          null,
          t + 2 * DAY,
          t + 2 * DAY,
        ]);
      });
    }
    schedule(t + 7 * DAY, async () => {
      if (lot.refunded) return;
      lot.status = 'available';
      await entry('release', t + 7 * DAY, { points, pending: -points, lotId: lot.id });
      scheduleExpiry(lot);
    });
  }
  await runUntil(now);
  for (const r of lotRows) {
    await w.add('lot', [
      r.lot.id,
      account.id,
      r.lot.sourceEntryId,
      r.original,
      r.lot.remaining,
      r.lot.status,
      r.earnedAt,
      r.releaseAt,
      r.lot.expiresAt,
      r.lot.expiresAt,
    ]);
  }
  await w.add('account', [
    account.id,
    memberId,
    p.id,
    account.available,
    account.pending,
    account.held,
    account.lifetime,
    account.growth,
    account.tier,
    account.tierSince,
    null,
    account.seq,
    now,
  ]);
  return entries;
}

/** The big tables' secondary indexes, dropped for the load and built again after it (sorted, in one pass each). */
const BULK_TABLES = ['ledger_entry', 'lot', 'lot_movement', 'pay_order', 'member', 'account', 'nps_response'];

interface IndexDef {
  table: string;
  name: string;
  unique: boolean;
  columns: string[];
}

async function secondaryIndexes(pool: Pool, schema: string): Promise<IndexDef[]> {
  const [rows] = await pool.query(
    `select table_name as t, index_name as i, non_unique as nu, column_name as c from information_schema.statistics
      where table_schema = ? and table_name in (?) and index_name <> 'PRIMARY' order by table_name, index_name, seq_in_index`,
    [schema, BULK_TABLES],
  );
  const out = new Map<string, IndexDef>();
  for (const r of rows as Array<{ t: string; i: string; nu: number; c: string }>) {
    const key = `${r.t}.${r.i}`;
    const def = out.get(key) ?? { table: r.t, name: r.i, unique: Number(r.nu) === 0, columns: [] };
    def.columns.push(r.c);
    out.set(key, def);
  }
  return [...out.values()];
}

async function alterIndexes(pool: Pool, defs: IndexDef[], action: 'drop' | 'add'): Promise<void> {
  for (const table of BULK_TABLES) {
    const mine = defs.filter((d) => d.table === table);
    if (mine.length === 0) continue;
    const t0 = performance.now();
    if (action === 'add') process.stderr.write(`building ${mine.length} indexes of ${table}… `);
    const clauses = mine.map((d) =>
      action === 'drop'
        ? `drop index \`${d.name}\``
        : `add ${d.unique ? 'unique ' : ''}index \`${d.name}\` (${d.columns.map((c) => `\`${c}\``).join(', ')})`,
    );
    await pool.query(`alter table \`${table}\` ${clauses.join(', ')}`);
    if (action === 'add') process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  }
}

async function seed(bench: BenchDb, opts: Options, now: number): Promise<void> {
  const started = performance.now();
  const programs = await seedReference(bench.db, now);
  let dropped: IndexDef[] = [];
  let pool: Pool | null = null;
  let sink: (table: string, columns: readonly string[], rows: unknown[][]) => Promise<void>;
  if (bench.db.dialect === 'mysql') {
    const u = new URL(bench.url);
    pool = createPool({
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: u.pathname.slice(1),
      connectionLimit: 4,
      supportBigNumbers: true,
      charset: 'utf8mb4',
    });
    // A bulk load of the bench's own database: unique keys are unique by construction.
    pool.on('connection', (c) => {
      c.query('set session unique_checks = 0, foreign_key_checks = 0');
    });
    sink = mysqlSink(pool);
    // A bulk load into one B-tree per table, then each secondary index built sorted: several times
    // faster than keeping seven trees up to date row by row. The schema ends exactly as migrated.
    dropped = await secondaryIndexes(pool, u.pathname.slice(1));
    await alterIndexes(pool, dropped, 'drop');
  } else {
    sink = kyselySink(bench.db);
  }
  const writer = new BulkWriter(sink, COLUMNS, bench.db.dialect === 'mysql' ? 2000 : 500, bench.db.dialect === 'mysql' ? 4 : 1);
  const rnd = prng(20260301);
  // About 1 grant + 2.9 entries per order (earn, release, some holds, refunds, expiries): steer the
  // mean number of orders so the total lands on --entries.
  let meanOrders = Math.max(0.2, (opts.entries / opts.members - 1.3) / 2.9);
  let entries = 0;
  let last = 0;
  for (let i = 0; i < opts.members; i++) {
    const program = rnd() < 0.9 ? programs[0]! : programs[1]!;
    entries += await seedMember(writer, rnd, program, now, meanOrders, i);
    if ((i + 1) % 10_000 === 0) {
      const wanted = (opts.entries * (i + 1)) / opts.members;
      meanOrders = Math.max(0.2, meanOrders * (1 + (0.5 * (wanted - entries)) / wanted));
    }
    const t = performance.now();
    if (t - last > 2000 || i === opts.members - 1) {
      last = t;
      const s = (t - started) / 1000;
      const written = writer.written.get('ledger_entry') ?? 0;
      process.stderr.write(
        `\rseeding: ${(i + 1).toLocaleString('en')}/${opts.members.toLocaleString('en')} members, ${entries.toLocaleString('en')} entries (${written.toLocaleString('en')} written, ${Math.round(written / s).toLocaleString('en')}/s), ${s.toFixed(0)} s   `,
      );
    }
  }
  await writer.close();
  process.stderr.write('\n');
  if (pool) {
    const t0 = performance.now();
    await alterIndexes(pool, dropped, 'add');
    console.log(`secondary indexes built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    await pool.end();
  }
  const seconds = (performance.now() - started) / 1000;
  const w = writer.written;
  console.log(
    `seeded in ${seconds.toFixed(0)} s: ${opts.members.toLocaleString('en')} members, ${(w.get('ledger_entry') ?? 0).toLocaleString('en')} ledger entries, ${(w.get('lot') ?? 0).toLocaleString('en')} lots, ${(w.get('lot_movement') ?? 0).toLocaleString('en')} lot movements, ${(w.get('pay_order') ?? 0).toLocaleString('en')} orders, ${(w.get('refund') ?? 0).toLocaleString('en')} refunds, ${(w.get('tier_history') ?? 0).toLocaleString('en')} tier changes, ${(w.get('nps_response') ?? 0).toLocaleString('en')} NPS answers`,
  );
}

// ---------------------------------------------------------------------------------------------
// Measuring

/**
 * Records the SQL statements a Kysely instance sends, compiled exactly as sent. Subqueries pass
 * through transformQuery too, so a statement counts only once its result comes back.
 */
class SqlRecorder implements KyselyPlugin {
  readonly queries: CompiledQuery[] = [];
  private readonly compiled = new Map<string, CompiledQuery>();
  constructor(private readonly compile: (node: RootOperationNode) => CompiledQuery) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.compiled.set(args.queryId.queryId, this.compile(args.node));
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const q = this.compiled.get(args.queryId.queryId);
    if (q) {
      this.queries.push(q);
      this.compiled.delete(args.queryId.queryId);
    }
    return args.result;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function gcNow(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // Without a collector to call, the baseline is what it is.
  }
}

interface Range {
  label: string;
  from: string;
  to: string;
}

function chinaDate(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
}

export async function benchReports(argv: string[]): Promise<number> {
  const opts = parseOptions(argv);
  const now = Date.now();
  let bench: BenchDb;
  if (opts.reuse) {
    // A database kept by an earlier --keep run: no seeding.
    const u = new URL(opts.url);
    u.pathname = `/${u.pathname.replace(/^\//, '') || 'jifen'}_bench_reports`;
    const db = openDatabase(u.toString());
    await migrateToLatest(db);
    bench = { db, url: u.toString(), drop: () => db.close() };
  } else {
    bench = await setupBenchDb(opts.url, '_bench_reports', 8);
  }
  let failed = 0;
  try {
    if (bench.db.dialect === 'mysql') {
      const { sql } = await import('kysely');
      const r = await sql<{ v: string; pool: number | string }>`select version() as v, @@innodb_buffer_pool_size as pool`.execute(
        bench.db.kysely,
      );
      const row = r.rows[0];
      if (row) console.log(`server ${row.v}, innodb_buffer_pool_size ${Math.round(Number(row.pool) / 1048576)} MiB`);
    }
    if (!opts.reuse) {
      await seed(bench, opts, now);
      if (bench.db.dialect === 'mysql') {
        const { sql } = await import('kysely');
        for (const t of [
          'member',
          'account',
          'ledger_entry',
          'lot',
          'lot_movement',
          'pay_order',
          'refund',
          'tier_history',
          'hold',
          'nps_response',
        ]) {
          await sql`analyze table ${sql.table(t)}`.execute(bench.db.kysely);
        }
      }
    }

    // The rollup job: every closed day summarised once (then every 15 minutes, only the new day).
    const rollStarted = performance.now();
    const rolled = await rollupReports(bench.db, now, (days, through) =>
      process.stderr.write(
        `\rreport-rollup: ${days} days summarised (through day ${through}), ${((performance.now() - rollStarted) / 1000).toFixed(0)} s   `,
      ),
    );
    process.stderr.write('\n');
    console.log(
      `report-rollup: ${rolled.days} days summarised in ${((performance.now() - rollStarted) / 1000).toFixed(1)} s (the job does this once per closed day)`,
    );

    const admin = { username: 'bench-admin', password: 'bench-admin-password' };
    const config = loadConfig({
      ...process.env,
      DATABASE_URL: bench.url,
      PORT: '0',
      JIFEN_JOBS: 'off',
      JIFEN_SECRET: process.env.JIFEN_SECRET ?? 'bench-secret-0123456789-0123456789-abcdef',
      JIFEN_DATA_KEY: process.env.JIFEN_DATA_KEY ?? 'bench-data-key-0123456789-0123456789-abc',
      JIFEN_BOOTSTRAP_ADMIN: `${admin.username}:${admin.password}`,
    });
    const server = await startServer({ config, db: bench.db, logger: createLogger('silent') });
    try {
      const signIn = await fetch(`${server.url}/api/admin/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(admin),
      });
      const { token } = (await signIn.json()) as { token: string };
      const auth = { authorization: `Bearer ${token}` };
      const today = chinaDate(now);
      const ranges: Range[] = [
        { label: 'last 30 days', from: chinaDate(now - 29 * DAY), to: today },
        { label: 'last 365 days', from: chinaDate(now - 364 * DAY), to: today },
      ];

      const bare =
        bench.db.dialect === 'mysql'
          ? (() => {
              const u = new URL(bench.url);
              return createPool({
                host: u.hostname,
                port: Number(u.port || 3306),
                user: decodeURIComponent(u.username),
                password: decodeURIComponent(u.password),
                database: u.pathname.slice(1),
                // As many connections as the server's pool: a report runs its independent statements side by side.
                connectionLimit: 8,
                supportBigNumbers: true,
                charset: 'utf8mb4',
                timezone: 'Z',
              });
            })()
          : null;

      console.log(
        `\n== report times (median of ${opts.repeats}, JSON through HTTP; floor: the same SQL on bare mysql2, side by side; target ≤ ${TARGET_MS / 1000} s)`,
      );
      console.log(
        `${'report'.padEnd(11)} ${'range'.padEnd(14)} ${'Jifen'.padStart(9)} ${'floor'.padStart(9)} ${'ratio'.padStart(6)} ${'stmts'.padStart(5)}  target`,
      );
      for (const range of ranges) {
        for (const name of REPORT_NAMES as readonly ReportName[]) {
          // The SQL this report runs, captured once through a recording Kysely.
          const recorder = new SqlRecorder((node) => bench.db.kysely.getExecutor().compileQuery(node, { queryId: 'bench' } as never));
          const recording: Db = { ...bench.db, kysely: bench.db.kysely.withPlugin(recorder) };
          const deps = { db: recording, cipher: server.services.cipher, now: () => now };
          const ctx = await reportContext(deps, { from: range.from, to: range.to, format: 'json' }, { members: true, personal: false });
          await buildReport(ctx, name).json();
          const statements = [...recorder.queries];
          const jifen: number[] = [];
          const floor: number[] = [];
          for (let r = 0; r < opts.repeats; r++) {
            const t0 = performance.now();
            const res = await fetch(`${server.url}/api/admin/reports/${name}?from=${range.from}&to=${range.to}`, { headers: auth });
            await res.arrayBuffer();
            if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status}`);
            jifen.push(performance.now() - t0);
            if (bare) {
              const t1 = performance.now();
              // Side by side, as the report runs the ones that do not wait for another.
              await Promise.all(statements.map((q) => bare.query(q.sql, q.parameters as unknown[])));
              floor.push(performance.now() - t1);
            }
          }
          const j = median(jifen);
          const f = bare ? median(floor) : NaN;
          const pass = j <= TARGET_MS;
          if (!pass) failed += 1;
          console.log(
            `${name.padEnd(11)} ${range.label.padEnd(14)} ${(j / 1000).toFixed(3).padStart(7)} s ${bare ? `${(f / 1000).toFixed(3).padStart(7)} s` : '        -'} ${bare ? (j / f).toFixed(2).padStart(6) : '     -'} ${String(statements.length).padStart(5)}  ${pass ? 'pass' : 'FAIL'}`,
          );
        }
      }
      await bare?.end();

      console.log('\n== memory of a full CSV export: the RFM member list (the biggest report), streamed');
      for (const range of ranges) {
        gcNow();
        await new Promise((r) => setTimeout(r, 200));
        const base = process.memoryUsage();
        let peakRss = base.rss;
        let peakHeap = base.heapUsed;
        const sampler = setInterval(() => {
          const m = process.memoryUsage();
          peakRss = Math.max(peakRss, m.rss);
          peakHeap = Math.max(peakHeap, m.heapUsed);
        }, 10);
        const t0 = performance.now();
        const res = await fetch(`${server.url}/api/admin/reports/rfm?from=${range.from}&to=${range.to}&format=csv&table=members`, {
          headers: auth,
        });
        let bytes = 0;
        let lines = 0;
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          bytes += chunk.length;
          for (const b of chunk) if (b === 10) lines += 1;
        }
        clearInterval(sampler);
        const mib = (n: number) => (n / 1048576).toFixed(1);
        console.log(
          `${range.label.padEnd(14)} ${(lines - 1).toLocaleString('en').padStart(10)} rows, ${mib(bytes).padStart(6)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s: peak RSS +${mib(peakRss - base.rss)} MiB, peak heap +${mib(peakHeap - base.heapUsed)} MiB`,
        );
      }
    } finally {
      await server.close();
    }
    console.log(failed === 0 ? '\nevery report within the target' : `\n${failed} report time(s) above the target`);
    return 0;
  } finally {
    if (opts.keep || opts.reuse) {
      await bench.db.close();
      if (opts.keep) console.log(`kept ${bench.url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')} (rerun with --reuse)`);
    } else {
      await bench.drop();
    }
  }
}
