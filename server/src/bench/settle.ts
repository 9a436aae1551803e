/**
 * `pnpm jifen bench settle`: WeChat Pay payment notifications settled per second, and the latency of
 * the answers, through the real server (HTTP → signature check → decrypt → settleOrderPaid), beside a
 * bare-driver loop that runs the statements a settlement needs over a second set of orders at the
 * same concurrency in the same run, and the ratio between them.
 *
 * It uses its own database (DATABASE_URL; for MySQL a `<db>_bench_settle` database is created and
 * dropped; for SQLite a `.bench.settle.sqlite` file beside the original, removed at the end), seeded
 * with the demo data. Every notification is built and signed before timing starts; they are sent by
 * a worker thread (the load generator) so the server's event loop only serves. Runs from source only:
 * it borrows the WeChat simulator from test/sim.
 */
import { createPrivateKey, randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { MysqlQueryCompiler, SqliteQueryCompiler } from 'kysely';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryId,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { chinaDate, chinaDayStart, evaluateEarning, summarizeTrace, toIsoUtc, upgradeOnGrowth } from '@jifen/shared';
import type { OrderLine, RuleSet } from '@jifen/shared';
import { loadConfig } from '../config.js';
import type { Db } from '../db/connect.js';
import { expiryFor, programConfig, ruleSetOf, tierName } from '../commands/programs.js';
import type { ProgramConfig } from '../commands/programs.js';
import { ORDER_TTL_MS, rfc3339China } from '../commands/orders.js';
import { ROLLING_WINDOW_MS } from '../commands/tiers.js';
import { PersonalDataCipher, canonicalJson, sha256 } from '../lib/crypto.js';
import { newId, newReferralCode } from '../lib/ids.js';
import { createLogger } from '../logger.js';
import { blankMember, ensureAccount, insertMember } from '../repositories/member.repository.js';
import type { OrderRow } from '../repositories/order.repository.js';
import { findProgramByCode } from '../repositories/org.repository.js';
import { ruleSetInForce } from '../repositories/rules.repository.js';
import { seedDemo } from '../seed/demo.js';
import { startServer } from '../server.js';
import type { RunningServer } from '../server.js';
import type * as SimulatorModule from '../wechat/testing/simulator.js';
import type { WechatSimulator } from '../wechat/testing/simulator.js';
import { combine, intOption, line, mysqlDriver, runFixed, setupBenchDb, sqliteDriver, startLoadGenerator } from './common.js';
import type { BareDriver, Figures, LoadRequest } from './common.js';

const DAY_MS = 86_400_000;
const SLICES = 5;
const TARGET_RATIO = 0.6;
const TARGET_P99_MS = 50;

interface Options {
  orders: number;
  concurrencies: number[];
  members: number;
  traceSql: boolean;
  url: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      orders: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '16' },
      sweep: { type: 'boolean', default: false },
      members: { type: 'string', default: '0' },
      'trace-sql': { type: 'boolean', default: false },
    },
  });
  return {
    orders: intOption('orders', values.orders, SLICES),
    concurrencies: values.sweep ? [16, 64] : [intOption('concurrency', values.concurrency, 1)],
    members: intOption('members', values.members, 0),
    traceSql: values['trace-sql'] ?? false,
    url: process.env.DATABASE_URL ?? 'sqlite:./data/jifen.sqlite',
  };
}

/** What both loops share: the demo program, its rules, store S001, and the members each side pays for. */
interface World {
  program: ProgramConfig;
  ruleSetId: number | null;
  ruleSetVersion: number;
  rules: RuleSet;
  store: { id: number; code: string; name: string; brandId: number; brandCode: string };
  /** Members the notifications pay for (the demo members, plus --members extras). */
  jifenMembers: Member[];
  /** Twins of those (same birthday, tier and balances) for the bare loop, so both see the same contention. */
  floorMembers: Member[];
}

interface Member {
  id: number;
  openid: string;
}

async function prepareWorld(db: Db, cipher: PersonalDataCipher, extra: number): Promise<World> {
  const now = Date.now();
  process.stderr.write('seeding the demo data…\n');
  await seedDemo(db, cipher, now);
  const k = db.kysely;
  const program = programConfig((await findProgramByCode(k, 'JIFEN'))!);
  const store = await k
    .selectFrom('store')
    .innerJoin('brand', 'brand.id', 'store.brand_id')
    .select(['store.id as id', 'store.code as code', 'store.name as name', 'brand.id as brandId', 'brand.code as brandCode'])
    .where('store.code', '=', 'S001')
    .executeTakeFirstOrThrow();
  const ruleRow = await ruleSetInForce(k, program.id, store.brandId, now);
  const ruleSet = ruleSetOf(ruleRow);

  // Members who pay with WeChat have an openid (the mini-program's): then the settlement also
  // queues the "points arrived" message, as it would for them.
  const demo = await k.selectFrom('member').selectAll().orderBy('created_at').orderBy('id').execute();
  const jifenMembers: Member[] = [];
  const floorMembers: Member[] = [];
  for (const m of demo) {
    const openid = m.openid ?? `o-bench-${m.id}`;
    if (!m.openid) await k.updateTable('member').set({ openid }).where('id', '=', m.id).execute();
    jifenMembers.push({ id: m.id, openid });
    const twin = { ...blankMember(newId(), newReferralCode(), now), birthday: m.birthday, openid: `o-floor-${m.id}` };
    await insertMember(k, twin);
    const account = await k
      .selectFrom('account')
      .selectAll()
      .where('member_id', '=', m.id)
      .where('program_id', '=', program.id)
      .executeTakeFirstOrThrow();
    const twinAccount = newId();
    await k
      .insertInto('account')
      .values({ ...account, id: twinAccount, member_id: twin.id })
      .execute();
    // The same history too (first purchase or not, growth in the last 12 months).
    const history = await k.selectFrom('ledger_entry').selectAll().where('account_id', '=', account.id).execute();
    if (history.length > 0)
      await k
        .insertInto('ledger_entry')
        .values(history.map((e) => ({ ...e, account_id: twinAccount, id: newId(), idem_hash: sha256(randomBytes(16)) })))
        .execute();
    floorMembers.push({ id: twin.id, openid: twin.openid });
  }
  for (let i = 0; i < extra; i++) {
    for (const [side, list] of [
      ['j', jifenMembers],
      ['f', floorMembers],
    ] as const) {
      const id = newId();
      const openid = `o-bench-${side}-${id}`;
      await insertMember(k, { ...blankMember(id, newReferralCode(), now), openid });
      await ensureAccount(k, id, program.id, program.tiers.tiers[0]!.code, now);
      list.push({ id, openid });
    }
    if (i % 200 === 0) process.stderr.write(`\rextra members: ${i}/${extra}`);
  }
  if (extra > 0) process.stderr.write(`\rextra members: ${extra}/${extra}\n`);
  return {
    program,
    ruleSetId: ruleSet.id,
    ruleSetVersion: ruleSet.version,
    rules: ruleSet.rules,
    store,
    jifenMembers,
    floorMembers,
  };
}

/** A pending Native QR order as createPosOrder leaves it once WeChat returned its code_url. */
function pendingOrder(world: World, memberId: number, amountFen: number, outTradeNo: string, i: number, now: number): OrderRow {
  const lines: OrderLine[] = [{ sku: '6901234567892', name: '鲜榨橙汁', qty: 1, unitPriceFen: amountFen }];
  return {
    id: newId(),
    out_trade_no: outTradeNo,
    client_order_id: `bench-${outTradeNo}-${i}`,
    channel: 'pos',
    terminal_id: 1,
    store_id: world.store.id,
    brand_id: world.store.brandId,
    program_id: world.program.id,
    member_id: memberId,
    payment_method: 'wechat_native',
    status: 'pending',
    description: `${world.store.name} ${lines[0]!.name}`.slice(0, 127),
    lines: JSON.stringify(lines),
    amount_fen: amountFen,
    points_paid: 0,
    points_paid_fen: 0,
    payable_fen: amountFen,
    hold_id: null,
    rule_set_id: world.ruleSetId,
    code_url: `weixin://wxpay/bizpayurl?pr=${randomBytes(5).toString('hex')}`,
    prepay_id: null,
    transaction_id: null,
    payer_openid: null,
    payer_total_fen: null,
    coupon_fen: 0,
    earn_entry_id: null,
    points_earned: 0,
    refunded_fen: 0,
    flag: null,
    placed_at: now,
    expires_at: now + ORDER_TTL_MS,
    paid_at: null,
    updated_at: now,
  };
}

/** WeChat's transaction for a paid order (the plaintext of the notification's resource). */
interface Tx {
  mchid: string;
  appid: string;
  out_trade_no: string;
  transaction_id: string;
  trade_type: string;
  trade_state: string;
  trade_state_desc: string;
  bank_type: string;
  attach: string;
  success_time: string;
  payer: { openid: string };
  amount: { total: number; payer_total: number; currency: string; payer_currency: string };
}

interface Batch {
  orders: OrderRow[];
  txs: Tx[];
}

/**
 * `count` pending orders for the members in turn, inserted in multi-row inserts, with WeChat's
 * transaction for each. Amounts ￥2–￥8 (the same sequence on both sides), so the demo rules' daily cap
 * of 20,000 points per member is not reached even with only the three demo members.
 */
async function createOrders(
  db: Db,
  world: World,
  members: Member[],
  amounts: number[],
  tag: string,
  merchant: { mchid: string; appid: string },
): Promise<Batch> {
  const now = Date.now();
  const orders: OrderRow[] = [];
  const txs: Tx[] = [];
  for (let i = 0; i < amounts.length; i++) {
    const m = members[i % members.length]!;
    const outTradeNo = `JF${tag}${randomBytes(15).toString('hex').toUpperCase()}`.slice(0, 32);
    const order = pendingOrder(world, m.id, amounts[i]!, outTradeNo, i, now);
    orders.push(order);
    txs.push({
      mchid: merchant.mchid,
      appid: merchant.appid,
      out_trade_no: outTradeNo,
      transaction_id: `42${tag}${Date.now()}${String(i).padStart(8, '0')}`.slice(0, 32),
      trade_type: 'NATIVE',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      attach: '',
      success_time: rfc3339China(now + 1000),
      payer: { openid: m.openid },
      amount: { total: order.payable_fen, payer_total: order.payable_fen, currency: 'CNY', payer_currency: 'CNY' },
    });
  }
  const batch = db.dialect === 'mysql' ? 500 : 200;
  for (let i = 0; i < orders.length; i += batch) {
    await db.kysely
      .insertInto('pay_order')
      .values(orders.slice(i, i + batch))
      .execute();
  }
  return { orders, txs };
}

type Simulator = typeof SimulatorModule;

/** One TRANSACTION.SUCCESS notification per transaction, encrypted and signed as WeChat sends them. */
function signNotifications(sim: Simulator, txs: Tx[]): LoadRequest[] {
  const key = createPrivateKey(sim.loadDefaultKeys().platformPrivateKeyPem);
  return txs.map((tx, i) => {
    const { body } = sim.buildEnvelope({
      id: `EV-${tx.transaction_id}-${i}`,
      createTime: tx.success_time,
      eventType: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      originalType: 'transaction',
      associatedData: 'transaction',
      plaintext: JSON.stringify(tx),
      apiV3Key: sim.DEFAULT_MERCHANT.apiV3Key,
    });
    const signed = sim.signResponse({ body, privateKey: key, serial: sim.DEFAULT_PLATFORM.publicKeyId });
    return {
      method: 'POST',
      path: '/api/wxpay/notify/payment',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...signed },
      body,
    };
  });
}

interface FloorAccount {
  id: number;
  available: number;
  pending: number;
  held: number;
  lifetime_earned: number;
  growth: number;
  tier_code: string;
  tier_since: number;
  tier_warned_at: number | null;
  entry_seq: number;
}

const ENTRY_COLUMNS =
  '`account_id`, `entry_seq`, `id`, `idem_hash`, `input_hash`, `kind`, `points`, `pending_delta`, `held_delta`, `growth_delta`, `available_after`, `pending_after`, `held_after`, `lot_id`, `ref_entry_id`, `order_ref`, `reason`, `trace`, `actor`, `created_at`';

/**
 * The bare loop's settlement of one order: the statements a settlement cannot do without, written
 * against the driver, with the same rules engine on the same rule set. Program, store and rule set
 * (immutable versions) are read once, not per order. Statements: begin; lock the order; lock the
 * account; read the member; look up the idempotency key; today's earned points (bounded to the China
 * day, for the daily cap; "any earn before" only when there is none today, for the first-purchase
 * bonus); insert the lot; insert the entry; the rolling 12-month growth only when lifetime growth could
 * reach a higher tier; update the account; insert the outbox message; update the order; commit.
 */
function floorSettle(driver: BareDriver, world: World, batch: Batch, merchant: { mchid: string; appid: string }) {
  const { program, rules, store } = world;
  const lock = driver.lockSuffix;
  return async (i: number) => {
    const tx = batch.txs[i]!;
    const conn = await driver.connect();
    try {
      await conn.exec(driver.beginSql);
      const now = Date.now();
      const o = (await conn.query(`select * from \`pay_order\` where \`out_trade_no\` = ?${lock}`, [tx.out_trade_no]))[0];
      if (!o) throw new Error(`order ${tx.out_trade_no} not found`);
      if (
        tx.trade_state !== 'SUCCESS' ||
        tx.mchid !== merchant.mchid ||
        tx.appid !== merchant.appid ||
        tx.out_trade_no !== o.out_trade_no ||
        tx.amount.total !== Number(o.payable_fen) ||
        !tx.transaction_id
      )
        throw new Error(`the payment does not match order ${tx.out_trade_no}`);
      if (o.status !== 'pending') throw new Error(`order ${tx.out_trade_no} is ${String(o.status)}`);
      const orderId = Number(o.id);
      // The account is locked before the first plain read: on InnoDB (repeatable read) that read fixes
      // the snapshot, which must include the settlement that held the lock before this one.
      const a = (
        await conn.query(`select * from \`account\` where \`member_id\` = ? and \`program_id\` = ?${lock}`, [
          Number(o.member_id),
          program.id,
        ])
      )[0] as unknown as FloorAccount;
      const m = (await conn.query('select * from `member` where `id` = ?', [Number(o.member_id)]))[0]!;
      const idem = sha256(`order\u0000earn:${orderId}`);
      if ((await conn.query('select * from `ledger_entry` where `idem_hash` = ?', [idem])).length > 0)
        throw new Error('replayed settlement');
      const dayStart = Date.parse(chinaDayStart(toIsoUtc(now)));
      const today = (
        await conn.query(
          "select sum(`points` + `pending_delta`) as `s`, count(*) as `n` from `ledger_entry` where `account_id` = ? and `created_at` >= ? and `created_at` < ? and `kind` = 'earn'",
          [a.id, dayStart, dayStart + DAY_MS],
        )
      )[0]!;
      const firstPurchase =
        Number(today.n) === 0 &&
        (await conn.query("select 1 as `x` from `ledger_entry` where `account_id` = ? and `kind` = 'earn' limit 1", [a.id])).length === 0;
      const payerTotal = tx.amount.payer_total;
      const couponFen = Math.max(0, Number(o.payable_fen) - payerTotal);
      const result = evaluateEarning(rules, {
        lines: JSON.parse(String(o.lines)) as OrderLine[],
        orderDiscountFen: 0,
        couponFen,
        pointsPaidFen: Number(o.points_paid_fen),
        member: {
          tierCode: a.tier_code,
          tierName: tierName(program, a.tier_code),
          ...(m.birthday ? { birthday: String(m.birthday) } : {}),
          isFirstPurchase: firstPurchase,
          pointsAlreadyEarnedToday: Math.max(0, Number(today.s ?? 0)),
        },
        brandCode: store.brandCode,
        storeCode: store.code,
        placedAt: toIsoUtc(Number(o.placed_at)),
      });
      const points = result.points;
      const pendingUntil = program.returnWindowDays > 0 ? now + program.returnWindowDays * DAY_MS : null;
      const expiresAt = expiryFor(program, now);
      const entryId = newId();
      let lotId: number | null = null;
      if (points > 0) {
        lotId = newId();
        await conn.exec(
          'insert into `lot` (`id`, `account_id`, `source_entry_id`, `original`, `remaining`, `status`, `earned_at`, `release_at`, `expires_at`, `spend_order`) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [lotId, a.id, entryId, points, points, pendingUntil ? 'pending' : 'available', now, pendingUntil, expiresAt, expiresAt ?? 9e15],
        );
      }
      const pending = Number(a.pending) + (pendingUntil ? points : 0);
      const available = Number(a.available) + (pendingUntil ? 0 : points);
      const seq = Number(a.entry_seq) + 1;
      await conn.exec(
        `insert into \`ledger_entry\` (${ENTRY_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          a.id,
          seq,
          entryId,
          idem,
          sha256(canonicalJson({ orderRef: tx.out_trade_no })),
          'earn',
          pendingUntil ? 0 : points,
          pendingUntil ? points : 0,
          0,
          result.growth,
          available,
          pending,
          Number(a.held),
          lotId,
          null,
          tx.out_trade_no,
          summarizeTrace(result.trace).slice(0, 255),
          JSON.stringify({ ruleSetVersion: world.ruleSetVersion, lines: result.lines, steps: result.trace }),
          null,
          now,
        ],
      );
      const growth = Number(a.growth) + result.growth;
      let tier = a.tier_code;
      let tierSince = Number(a.tier_since);
      let warnedAt = a.tier_warned_at;
      if (result.growth > 0 && upgradeOnGrowth(program.tiers, tier, Math.max(0, growth)) !== null) {
        const row = (
          await conn.query('select sum(`growth_delta`) as `g` from `ledger_entry` where `account_id` = ? and `created_at` >= ?', [
            a.id,
            now - ROLLING_WINDOW_MS,
          ])
        )[0]!;
        const to = upgradeOnGrowth(program.tiers, tier, Math.max(0, Number(row.g ?? 0)));
        if (to) {
          await conn.exec(
            'insert into `tier_history` (`id`, `account_id`, `from_code`, `to_code`, `reason`, `created_at`) values (?, ?, ?, ?, ?, ?)',
            [newId(), a.id, tier, to, 'upgrade', now],
          );
          tier = to;
          tierSince = now;
          warnedAt = null;
        }
      }
      await conn.exec(
        'update `account` set `available` = ?, `pending` = ?, `held` = ?, `lifetime_earned` = ?, `growth` = ?, `tier_code` = ?, `tier_since` = ?, `tier_warned_at` = ?, `entry_seq` = ?, `updated_at` = ? where `id` = ?',
        [available, pending, Number(a.held), Number(a.lifetime_earned) + points, growth, tier, tierSince, warnedAt, seq, now, a.id],
      );
      if (m.openid && points > 0) {
        await conn.exec(
          'insert into `outbox` (`id`, `dedupe_key`, `kind`, `payload`, `status`, `attempts`, `next_attempt_at`, `last_error`, `created_at`, `done_at`) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [
            newId(),
            `points-arrived:${orderId}`,
            'points_arrived',
            JSON.stringify({
              openid: m.openid,
              orderId,
              points,
              pending,
              balance: available,
              reason: result.trace[0]?.text ?? '消费积分',
              date: chinaDate(toIsoUtc(now)),
            }),
            'pending',
            0,
            now,
            null,
            now,
            null,
          ],
        );
      }
      await conn.exec(
        'update `pay_order` set `status` = ?, `paid_at` = ?, `transaction_id` = ?, `payer_openid` = ?, `payer_total_fen` = ?, `coupon_fen` = ?, `updated_at` = ?, `member_id` = ?, `earn_entry_id` = ?, `points_earned` = ? where `id` = ?',
        [
          'paid',
          Date.parse(tx.success_time),
          tx.transaction_id,
          tx.payer.openid,
          payerTotal,
          couponFen,
          now,
          m.id,
          entryId,
          points,
          orderId,
        ],
      );
      await conn.exec('commit');
    } catch (e) {
      await conn.exec('rollback').catch(() => undefined);
      throw e;
    } finally {
      conn.done();
    }
  };
}

/**
 * --trace-sql: the time from each statement's compilation to its result (the driver round trip,
 * waits for row locks and pool connections included), grouped by statement, for Jifen's side.
 */
class StatementTimer implements KyselyPlugin {
  readonly stats = new Map<string, { n: number; ms: number }>();
  enabled = false;
  readonly #started = new WeakMap<QueryId, { t: number; label: string }>();
  readonly #compiler: MysqlQueryCompiler | SqliteQueryCompiler;

  constructor(dialect: 'mysql' | 'sqlite') {
    this.#compiler = dialect === 'mysql' ? new MysqlQueryCompiler() : new SqliteQueryCompiler();
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (this.enabled) {
      const label = this.#label(args.node, args.queryId);
      this.#started.set(args.queryId, { t: performance.now(), label });
    }
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const s = this.#started.get(args.queryId);
    if (s) {
      const stat = this.stats.get(s.label) ?? { n: 0, ms: 0 };
      stat.n += 1;
      stat.ms += performance.now() - s.t;
      this.stats.set(s.label, stat);
    }
    return args.result;
  }

  #label(node: RootOperationNode, queryId: QueryId): string {
    const sql = this.#compiler
      .compileQuery(node, queryId)
      .sql.replace(/\((?:[`"]\w+[`"](?:, )?)+\) values \([^)]*\)/g, '(…) values (…)')
      .replace(/ set .* where /, ' set … where ')
      .replace(/select (?:[`"][\w.]+[`"](?: as [`"]\w+[`"])?(?:, )?){3,}/, 'select … ');
    return sql.length > 150 ? `${sql.slice(0, 147)}…` : sql;
  }

  report(orders: number): void {
    const rows = [...this.stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
    const total = rows.reduce((s, [, v]) => s + v.ms, 0);
    console.log(`\nJifen's statements (${orders} settlements; ms per settlement, statements per settlement, mean ms):`);
    for (const [sql, v] of rows) {
      console.log(
        `  ${(v.ms / orders).toFixed(3).padStart(7)}  ${(v.n / orders).toFixed(2).padStart(5)}×  ${(v.ms / v.n).toFixed(3).padStart(7)}  ${sql}`,
      );
    }
    console.log(`  ${(total / orders).toFixed(3).padStart(7)}  in all (begin and commit not included)`);
    this.stats.clear();
  }
}

/** What the settlements left behind, to show the two sides did the same work. */
async function sideSummary(db: Db, batch: Batch): Promise<string> {
  const ids = batch.orders.map((o) => o.id);
  let paid = 0;
  let points = 0;
  let zero = 0;
  let entries = 0;
  let outbox = 0;
  let firsts = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const f = await db.kysely
      .selectFrom('ledger_entry')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where(
        'order_ref',
        'in',
        batch.orders.slice(i, i + 500).map((o) => o.out_trade_no),
      )
      .where('trace', 'like', '%first_purchase%')
      .executeTakeFirst();
    firsts += Number(f?.n ?? 0);
    const rows = await db.kysely
      .selectFrom('pay_order')
      .select(['status', 'points_earned', 'earn_entry_id'])
      .where('id', 'in', chunk)
      .execute();
    for (const r of rows) {
      if (r.status === 'paid') paid += 1;
      points += Number(r.points_earned);
      if (Number(r.points_earned) === 0) zero += 1;
      if (r.earn_entry_id !== null) entries += 1;
    }
    const keys = chunk.map((id) => `points-arrived:${id}`);
    const o = await db.kysely
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('dedupe_key', 'in', keys)
      .executeTakeFirst();
    outbox += Number(o?.n ?? 0);
  }
  return `${paid}/${ids.length} paid, ${entries} earn entries, ${points} points (${zero} orders with none), ${outbox} outbox messages, ${firsts} first-purchase bonuses`;
}

async function round(
  opts: Options,
  concurrency: number,
  ctx: { db: Db; server: RunningServer; sim: Simulator; world: World; bench: { url: string }; timer: StatementTimer | null },
): Promise<{ jifen: Figures; floor: Figures }> {
  const { db, world } = ctx;
  const n = opts.orders;
  const warmup = Math.min(200, Math.ceil(n / 10));
  const total = warmup + n;
  // The same amounts on both sides: ￥2.00–￥8.00, from a fixed-seed generator.
  let seed = 20261122 + concurrency;
  const amounts = Array.from({ length: total }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return 200 + (seed % 601);
  });
  const merchant = { mchid: ctx.sim.DEFAULT_MERCHANT.mchid, appid: ctx.sim.DEFAULT_MERCHANT.appid };
  process.stderr.write(`\nconcurrency ${concurrency}: creating 2 × ${total} pending orders…\n`);
  const jifenBatch = await createOrders(db, world, world.jifenMembers, amounts, `J${concurrency}`, merchant);
  const floorBatch = await createOrders(db, world, world.floorMembers, amounts, `F${concurrency}`, merchant);

  // Every notification counts in the latencies; only those answered 204 count as settled.
  const load = startLoadGenerator(ctx.server.url, concurrency, { okStatus: 204, timeFailures: true });
  // Signed just before each slice (untimed), so a long run stays inside WeChat's ±300 s window.
  const signed = (from: number, to: number) => signNotifications(ctx.sim, jifenBatch.txs.slice(from, to));
  const driver = db.dialect === 'mysql' ? mysqlDriver(ctx.bench.url, concurrency) : sqliteDriver(ctx.bench.url.slice('sqlite:'.length));
  const floorOp = floorSettle(driver, world, floorBatch, merchant);
  try {
    process.stderr.write(`warm-up: ${warmup} orders each, not counted…\n`);
    const wj = await load.fire(signed(0, warmup));
    const wf = await runFixed(0, warmup, concurrency, floorOp);
    if (wj.errors > 0 || wf.errors > 0) throw new Error(`warm-up failed: ${wj.errors} Jifen, ${wf.errors} bare errors`);
    if (ctx.timer) ctx.timer.enabled = true;
    const jifenRuns: Figures[] = [];
    const floorRuns: Figures[] = [];
    const busy = new BusyMeter();
    const per = Math.ceil(n / SLICES);
    for (let s = 0; s < SLICES; s++) {
      const from = warmup + s * per;
      const to = Math.min(total, from + per);
      process.stderr.write(`\rconcurrency ${concurrency}: slice ${s + 1}/${SLICES}, ${to - from} orders Jifen then ${to - from} bare…`);
      const requests = signed(from, to);
      jifenRuns.push(await busy.watch('jifen', () => load.fire(requests)));
      if (ctx.timer) ctx.timer.enabled = false;
      floorRuns.push(await busy.watch('floor', () => runFixed(from, to, concurrency, floorOp)));
      if (ctx.timer) ctx.timer.enabled = true;
    }
    if (ctx.timer) ctx.timer.enabled = false;
    process.stderr.write('\n');
    const jifen = combine(jifenRuns);
    const floor = combine(floorRuns);
    const ratio = jifen.perSecond / floor.perSecond;
    console.log(
      `\n== concurrency ${concurrency} (${db.dialect}, ${n} orders per side for ${world.jifenMembers.length} members, ${SLICES} slices interleaved, ${warmup} warm-up orders each not counted; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`,
    );
    console.log(line('Jifen notify → settled', jifen, 'settled/s'));
    console.log(line('bare driver (floor)', floor, 'settled/s'));
    console.log(
      `ratio Jifen / bare: ${ratio.toFixed(2)}   (target on MariaDB: ≥ ${TARGET_RATIO} at concurrency 64${db.dialect === 'mysql' && concurrency === 64 ? (ratio >= TARGET_RATIO ? ': met' : ': NOT met') : ''})`,
    );
    console.log(
      `Jifen p99: ${jifen.p99.toFixed(1)} ms   (target on MariaDB: ≤ ${TARGET_P99_MS} ms at concurrency 16${db.dialect === 'mysql' && concurrency === 16 ? (jifen.p99 <= TARGET_P99_MS ? ': met' : ': NOT met') : ''})`,
    );
    console.log(
      `main thread busy (server or bare loop; the load generator has its own): Jifen ${busy.describe('jifen', jifen.ops)}, bare ${busy.describe('floor', floor.ops)}`,
    );
    console.log(`check Jifen: ${await sideSummary(db, jifenBatch)}`);
    console.log(`check bare:  ${await sideSummary(db, floorBatch)}`);
    ctx.timer?.report(jifen.ops);
    return { jifen, floor };
  } finally {
    await load.close();
    await driver.close();
  }
}

/**
 * How busy this process's main thread (the server's event loop, or the bare loop's) was while each
 * side ran: when it nears 100% the bottleneck is JavaScript, not the database.
 */
class BusyMeter {
  readonly #sides = new Map<string, { active: number; total: number }>();

  async watch<T>(side: string, run: () => Promise<T>): Promise<T> {
    const start = performance.eventLoopUtilization();
    const result = await run();
    const d = performance.eventLoopUtilization(start);
    const s = this.#sides.get(side) ?? { active: 0, total: 0 };
    s.active += d.active;
    s.total += d.active + d.idle;
    this.#sides.set(side, s);
    return result;
  }

  describe(side: string, ops: number): string {
    const s = this.#sides.get(side);
    if (!s || s.total === 0) return 'n/a';
    return `${((s.active / s.total) * 100).toFixed(0)}% (${(s.active / ops).toFixed(2)} ms per settlement)`;
  }
}

/** Kysely over the same pool, with a plugin: the server then runs every statement through it. */
function withPlugin(db: Db, plugin: KyselyPlugin): Db {
  return { ...db, kysely: db.kysely.withPlugin(plugin) };
}

export async function benchSettle(argv: string[]): Promise<number> {
  const opts = parseOptions(argv);
  let sim: Simulator;
  try {
    sim = await import('../wechat/testing/simulator.js');
  } catch (e) {
    throw new Error(`bench settle needs the WeChat simulator in test/sim: run it from source (pnpm jifen bench settle): ${String(e)}`);
  }
  const bench = await setupBenchDb(opts.url, '_bench_settle');
  let simulator: WechatSimulator | null = null;
  let server: RunningServer | null = null;
  try {
    if (bench.db.dialect === 'mysql') {
      const { sql } = await import('kysely');
      const r = await sql<{ v: string; pool: number | string }>`select version() as v, @@innodb_buffer_pool_size as pool`.execute(
        bench.db.kysely,
      );
      const row = r.rows[0];
      if (row) console.log(`server ${row.v}, innodb_buffer_pool_size ${Math.round(Number(row.pool) / 1048576)} MiB`);
    }
    const dataKey = randomBytes(24).toString('base64');
    const world = await prepareWorld(bench.db, new PersonalDataCipher(dataKey), opts.members);

    // The simulator only has to exist for the WeChat Pay client the server builds from its settings;
    // notifications come from the load generator, signed with the simulator's platform key.
    simulator = await sim.startWechatSimulator({ port: 0 });
    const c = simulator.jifenConfig();
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: bench.url,
      JIFEN_SECRET: randomBytes(24).toString('base64'),
      JIFEN_DATA_KEY: dataKey,
      JIFEN_LOG_LEVEL: 'silent',
      JIFEN_JOBS: 'off',
      WXPAY_MCHID: c.mchid,
      WXPAY_BASE_URL: simulator.url,
      WXPAY_MERCHANT_KEY_FILE: sim.KEY_FILES.merchantPrivateKey,
      WXPAY_MERCHANT_SERIAL: c.merchantSerialNo,
      WXPAY_APIV3_KEY: c.apiV3Key,
      WXPAY_APIV2_KEY: c.apiV2Key,
      WXPAY_PUBLIC_KEY_FILE: sim.KEY_FILES.platformPublicKey,
      WXPAY_PUBLIC_KEY_ID: sim.DEFAULT_PLATFORM.publicKeyId,
      WXPAY_NOTIFY_BASE: 'http://127.0.0.1:9',
      WECHAT_APPID: c.appid,
      WECHAT_APPSECRET: c.miniprogram.secret,
      WECHAT_API_BASE: simulator.url,
    });
    // The database startServer would open from DATABASE_URL (same pool size), opened here so that
    // --trace-sql can watch it.
    const timer = opts.traceSql ? new StatementTimer(bench.db.dialect) : null;
    server = await startServer({
      config,
      logger: createLogger('silent'),
      db: timer ? withPlugin(bench.db, timer) : bench.db,
    });
    if (!server.services.wxpay) throw new Error('the server did not configure WeChat Pay');
    console.log(
      `Jifen at ${server.url} (${bench.db.dialect}, pool ${bench.db.dialect === 'mysql' ? '16 connections, the server default' : '1 connection'}), bare loop with one connection per worker`,
    );
    for (const concurrency of opts.concurrencies) {
      await round(opts, concurrency, { db: bench.db, server, sim, world, bench, timer });
    }
    return 0;
  } finally {
    await server?.close();
    await simulator?.close();
    await bench.drop();
  }
}
